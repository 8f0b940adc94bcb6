// Upgrades and schemes from the attacker's side. The scheme a request is decided under is
// the one it is sent as: a `ws://` URL is a WebSocket handshake or nothing, so an
// `http://` deny rule cannot be dodged by spelling the URL `ws://` (nor a `ws://` deny rule
// by spelling it `http://`). Only WebSocket upgrades are spliced unless the rule that
// allows the request lists the protocol (`upgrades: [h2c]`); an h2c offer on a plain
// request never reaches the upstream, and a 101 nobody asked for is not spliced.
// All traffic goes to 127.0.0.1; every wait is bounded.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

/**
 * A raw upstream that records every request head it reads. It switches to h2c (101, then
 * a few bytes, then closes) when offered h2c; /switch answers 101 although nothing was
 * offered, /wrong switches to websocket when offered h2c; anything else gets a 200 that
 * echoes the head.
 */
async function rawUpstream(): Promise<{ port: number; heads: string[]; close(): Promise<void> }> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    socket.on('data', (c: Buffer) => {
      buffer += c.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.slice(0, end);
      buffer = buffer.slice(end + 4);
      heads.push(head);
      const path = head.split(' ')[1] ?? '';
      const offered = /^upgrade:\s*h2c/im.test(head);
      if (path === '/switch' || (offered && path !== '/wrong')) {
        socket.end(
          'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nH2C-FRAMES',
        );
      } else if (offered) {
        socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      } else {
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(head)}\r\n\r\n${head}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    heads,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

let up: Upstreams;
let h2: Awaited<ReturnType<typeof rawUpstream>>;
let d: TestDaemon;

before(async () => {
  up = await startUpstreams();
  h2 = await rawUpstream();
  d = await startTestDaemon({ upstreamCa: [up.caPem] });
});
after(async () => {
  await d?.stop();
  await h2?.close();
  await up?.close();
});

/** Raw request bytes to a listener; what came back, 300 ms after a head (or at close, or 3 s). */
function raw(listener: { port: number; clientProxyUrl: string }, data: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(listener.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 3000);
    let ending = false;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (!ending && Buffer.concat(chunks).includes('\r\n\r\n')) {
        ending = true;
        setTimeout(() => socket.destroy(), 300);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(withProxyAuth(data, listener.clientProxyUrl));
  });
}

const HANDSHAKE =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
const H2C_OFFER =
  'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n';

function request(method: string, url: string, extra = ''): string {
  const host = new URL(url).host;
  return `${method} ${url} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

describe('the scheme decided is the scheme sent', () => {
  type L = { port: number; clientProxyUrl: string };
  let denyHttp: L;
  let denyWs: L;
  before(async () => {
    const a = policyYaml(
      '- match: http://127.0.0.1\n  action: deny\n- match: ws://127.0.0.1\n  action: allow',
    );
    const b = policyYaml(
      '- match: ws://127.0.0.1\n  action: deny\n- match: http://127.0.0.1\n  action: allow',
    );
    denyHttp = (await d.listener(a)).listener;
    denyWs = (await d.listener(b)).listener;
  });

  test('GET ws://… without an Upgrade is refused (400), never sent as plain HTTP', async () => {
    const from = h2.heads.length;
    for (const listener of [denyHttp, denyWs]) {
      const text = await raw(listener, request('GET', `ws://127.0.0.1:${h2.port}/plain`));
      assert.equal(status(text), 400, text);
      assert.match(text, /ws:\/\/ URL is a WebSocket handshake/);
    }
    assert.deepEqual(h2.heads.slice(from), [], 'nothing reached the upstream');
  });

  test('deny http://, allow ws://: plain HTTP is denied in either spelling; handshakes pass', async () => {
    const from = h2.heads.length;
    assert.equal(status(await raw(denyHttp, request('GET', `http://127.0.0.1:${h2.port}/plain`))), 403);
    const post = await raw(denyHttp, request('POST', `http://127.0.0.1:${h2.port}/ws`, HANDSHAKE));
    assert.equal(status(post), 400, post);
    assert.match(post, /WebSocket handshake is a GET/);
    assert.deepEqual(h2.heads.slice(from), [], 'nothing reached the upstream');
    for (const scheme of ['http', 'ws']) {
      const text = await raw(denyHttp, request('GET', `${scheme}://127.0.0.1:${up.httpPort}/ws`, HANDSHAKE));
      assert.equal(status(text), 101, `${scheme}: ${text}`);
    }
  });

  test('deny ws://, allow http://: a handshake is denied in either spelling; plain HTTP passes', async () => {
    for (const scheme of ['http', 'ws']) {
      const text = await raw(denyWs, request('GET', `${scheme}://127.0.0.1:${up.httpPort}/ws`, HANDSHAKE));
      assert.equal(status(text), 403, `${scheme}: ${text}`);
    }
    assert.equal(status(await raw(denyWs, request('GET', `http://127.0.0.1:${up.httpPort}/plain`))), 200);
  });
});

describe('Upgrade protocols other than WebSocket', () => {
  type L = { port: number; clientProxyUrl: string; sandboxId: string };
  let plain: L;
  before(async () => {
    plain = (await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'))).listener;
  });
  const h2cListener = async () =>
    (await d.listener(policyYaml('- match: 127.0.0.1\n  upgrades: [h2c]\n  action: allow'))).listener;

  test('an h2c upgrade is refused by default (403, audited) and never reaches the upstream', async () => {
    const from = h2.heads.length;
    const text = await raw(plain, request('GET', `http://127.0.0.1:${h2.port}/`, H2C_OFFER));
    assert.equal(status(text), 403, text);
    assert.match(text, /upgrade to h2c/);
    assert.match(text, /upgrades: \[h2c\]/);
    assert.doesNotMatch(text, /H2C-FRAMES/);
    for (const offer of ['websocket, h2c', 'TLS/1.2', 'x-custom']) {
      const other = await raw(
        plain,
        request('GET', `http://127.0.0.1:${h2.port}/`, `Connection: Upgrade\r\nUpgrade: ${offer}\r\n`),
      );
      assert.equal(status(other), 403, `${offer}: ${other}`);
    }
    assert.deepEqual(h2.heads.slice(from), [], 'nothing reached the upstream');
    const event = await until('the audit record', () =>
      d.events.find(
        (e) =>
          e.type === 'request.decided' &&
          e.sandboxId === plain.sandboxId &&
          e.outcome === 'denied' &&
          /h2c/.test(e.reason),
      ),
    );
    assert.equal(event.type === 'request.decided' && event.status, 403);
  });

  test('WebSocket is unaffected', async () => {
    const text = await raw(plain, request('GET', `http://127.0.0.1:${up.httpPort}/ws`, HANDSHAKE));
    assert.equal(status(text), 101, text);
  });

  test('a rule listing h2c allows it, and only it', async () => {
    const withH2c = await h2cListener();
    const from = h2.heads.length;
    const text = await raw(withH2c, request('GET', `http://127.0.0.1:${h2.port}/`, H2C_OFFER));
    assert.equal(status(text), 101, text);
    assert.match(text, /H2C-FRAMES$/);
    assert.match(h2.heads[from] ?? '', /^upgrade: h2c$/im);
    const tls = await raw(
      withH2c,
      request('GET', `http://127.0.0.1:${h2.port}/`, 'Connection: Upgrade\r\nUpgrade: TLS/1.2\r\n'),
    );
    assert.equal(status(tls), 403, tls);
  });

  test('an upstream that switches to a protocol it was not offered is not spliced', async () => {
    const withH2c = await h2cListener();
    const text = await raw(withH2c, request('GET', `http://127.0.0.1:${h2.port}/wrong`, H2C_OFFER));
    assert.equal(status(text), 502, text);
    assert.match(text, /not offered/);
  });

  test('on a plain request, an h2c offer is dropped and a 101 nobody asked for is not spliced', async () => {
    const from = h2.heads.length;
    // No "Connection: Upgrade": a plain request carrying the offer's headers.
    const text = await raw(
      plain,
      request(
        'GET',
        `http://127.0.0.1:${h2.port}/`,
        'Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n',
      ),
    );
    assert.equal(status(text), 200, text);
    const head = h2.heads[from] ?? '';
    assert.doesNotMatch(head, /^upgrade:/im);
    assert.doesNotMatch(head, /^http2-settings:/im);
    const unasked = await raw(plain, request('GET', `http://127.0.0.1:${h2.port}/switch`));
    assert.equal(status(unasked), 502, unasked);
    assert.match(unasked, /asked for no upgrade/);
    assert.doesNotMatch(unasked, /H2C-FRAMES/);
  });
});
