// A hostile or broken upstream against the forward path: answers framed two ways, forged
// answers after a body, answers cut short, an upstream that goes away. The agent must get
// a clear refusal or a cut connection, never bytes the proxy did not frame, and its next
// request on the same connection must get the real answer. Run against the proxy's own
// client here and Node's in node-http-client.test.ts. All traffic stays on 127.0.0.1.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { RequestEndedEvent } from '../../supervisor/api/index.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';

let d: TestDaemon;
let proxyPort: number;
let proxyUrl: string;
let upstreamPort: number;
const sockets = new Set<net.Socket>();
let upstream: net.Server;

/** What the upstream answers, by the request's path. */
const ANSWERS: Record<string, (socket: net.Socket) => void> = {
  '/both': (s) =>
    s.write(
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ),
  '/forged': (s) =>
    s.write(
      'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nrealHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged',
    ),
  '/cut': (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'),
  '/silent-close': (s) => s.end(),
  '/chunked': (s) => s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nreal\r\n0\r\n\r\n'),
};

before(async () => {
  upstream = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (c: Buffer) => {
      pending += c.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const path = /^[A-Z]+ (\S+)/.exec(pending)?.[1] ?? '';
        pending = pending.slice(end + 4);
        (ANSWERS[path] ?? ((s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal')))(socket);
      }
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as net.AddressInfo).port;
  d = await startTestDaemon();
  const created = await d.listener(policyYaml(['- match: 127.0.0.1', '  action: allow'].join('\n')));
  proxyPort = created.listener.port;
  proxyUrl = created.listener.clientProxyUrl;
});

after(async () => {
  await d?.stop();
  for (const s of sockets) s.destroy();
  await new Promise((r) => upstream?.close(r));
});

/** Send GETs for `paths` one after another on one kept connection to the proxy: what came back. */
function onOneConnection(paths: string[], ms = 4000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(proxyPort, '127.0.0.1');
    let got = '';
    let sent = 0;
    const timer = setTimeout(() => socket.destroy(), ms);
    const next = () => {
      const path = paths[sent++];
      if (path === undefined) return;
      const head = `GET http://127.0.0.1:${upstreamPort}${path} HTTP/1.1\r\nHost: 127.0.0.1:${upstreamPort}\r\n\r\n`;
      socket.write(withProxyAuth(head, proxyUrl));
    };
    socket.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      // One answer per request: the next is sent once this one's body has arrived.
      const answers = completeAnswers(got);
      if (answers === sent && sent < paths.length) next();
      else if (answers >= paths.length) setTimeout(() => socket.end(), 100);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    next();
  });
}

/** How many whole answers (Content-Length or chunked) `text` holds. */
function completeAnswers(text: string): number {
  let count = 0;
  let at = 0;
  for (;;) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd === -1) return count;
    const head = text.slice(at, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let end: number;
    if (length) end = headEnd + 4 + Number(length[1]);
    else {
      const last = text.indexOf('\r\n0\r\n\r\n', headEnd);
      if (last === -1) return count;
      end = last + 7;
    }
    if (end > text.length) return count;
    count++;
    at = end;
  }
}

function ended(path: string): RequestEndedEvent | undefined {
  return d.events.find((e): e is RequestEndedEvent => e.type === 'request.ended' && e.path === path) as
    | RequestEndedEvent
    | undefined;
}

test('an answer framed two ways is refused with 502, and the connection serves the next request', async () => {
  const got = await onOneConnection(['/both', '/ok']);
  assert.match(got, /^HTTP\/1\.1 502 /);
  assert.doesNotMatch(got, /abc/, 'no byte of the refused answer reached the client');
  assert.match(got, /HTTP\/1\.1 200 OK[\s\S]*real$/, 'the next request got its own answer');
  assert.equal(ended('/both')?.outcome, 'error');
});

test('a forged answer after a body never answers the next request', async () => {
  const got = await onOneConnection(['/forged', '/ok']);
  assert.doesNotMatch(got, /forged/);
  assert.equal(got.match(/real/g)?.length, 2);
});

test('an answer cut short cuts the client connection; a silent close is a 502', async () => {
  const cut = await onOneConnection(['/cut']);
  assert.match(cut, /^HTTP\/1\.1 200 OK/);
  assert.match(cut, /only this$/, 'the client sees a body shorter than its length, then the close');
  const silent = await onOneConnection(['/silent-close', '/ok']);
  assert.match(silent, /^HTTP\/1\.1 502 /);
  assert.match(silent, /real$/);
});

test('a chunked answer reaches the client whole', async () => {
  const got = await onOneConnection(['/chunked']);
  assert.match(got, /^HTTP\/1\.1 200 OK/);
  assert.match(got, /\r\n4\r\nreal\r\n0\r\n\r\n$/);
});
