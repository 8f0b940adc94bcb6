// Request smuggling through the proxy, tried as a hostile agent would: bodies on methods
// Node does not frame by default (GET, HEAD, DELETE, OPTIONS), requests hidden in those
// bodies, upstreams that send bytes nobody asked for, and two sandboxes sharing an
// upstream. What the policy decided must be the only request the upstream reads, and one
// sandbox's upstream connection must never carry another's traffic.
// All traffic goes to 127.0.0.1; every wait is bounded.

import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import type { CreateListenerResponse } from '../../supervisor/api/index.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';
import { rawExchange } from '../support/raw-exchange.ts';

/** Each listener's URL with its credential, by port: every request must carry it. */
const credentialed = new Map<number, string>();
function portOf(created: CreateListenerResponse): number {
  credentialed.set(created.listener.port, created.listener.clientProxyUrl);
  return created.listener.port;
}

interface Seen {
  method: string;
  url: string;
  body: string;
  remotePort: number;
}

/** A plain upstream that records every request it parses and the client port it came from. */
async function recordingUpstream(): Promise<{ port: number; seen: Seen[]; server: http.Server }> {
  const seen: Seen[] = [];
  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        body,
        remotePort: req.socket.remotePort ?? 0,
      });
      const text = `${req.method} ${req.url} body=${body.length}`;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, seen, server };
}

/** Raw bytes to a listener, with the credential its sandbox was given. */
function raw(port: number, data: string, ms = 3000): Promise<string> {
  return rawExchange(port, withProxyAuth(data, credentialed.get(port)!), ms);
}

function chunked(body: string): string {
  return `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
}

async function get(proxyPort: number, url: string, method = 'GET'): Promise<string> {
  const dispatcher = new ProxyAgent({ uri: credentialed.get(proxyPort)!, proxyTunnel: false });
  try {
    const r = await undiciFetch(url, { method, dispatcher, signal: AbortSignal.timeout(5000) });
    return `${r.status} ${await r.text()}`;
  } finally {
    await dispatcher.destroy();
  }
}

describe('request smuggling', () => {
  let d: TestDaemon;
  let up: Awaited<ReturnType<typeof recordingUpstream>>;
  let port: number;

  before(async () => {
    up = await recordingUpstream();
    d = await startTestDaemon();
    const policy = policyYaml(
      ['- match: 127.0.0.1', '  methods: [GET, HEAD, DELETE, OPTIONS]', '  action: allow'].join('\n'),
    );
    port = portOf(await d.listener(policy, { label: 'smuggler' }));
  });

  after(async () => {
    await d?.stop();
    up?.server.closeAllConnections();
    await new Promise((r) => up?.server.close(r));
  });

  for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS']) {
    test(`a chunked body on ${method} reaches the upstream framed, never as a second request`, async () => {
      const before = up.seen.length;
      const hidden = `POST /smuggled-${method} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n`;
      const text = await raw(
        port,
        `${method} http://127.0.0.1:${up.port}/innocent HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n` +
          `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked(hidden)}`,
      );
      assert.match(text, /^HTTP\/1\.1 200 /, 'the decided request is answered');
      // Give a smuggled request the time to arrive, were there one.
      await new Promise((r) => setTimeout(r, 150));
      const got = up.seen.slice(before);
      assert.deepEqual(
        got.map((s) => `${s.method} ${s.url}`),
        [`${method} /innocent`],
        'the upstream parsed exactly the request the policy decided',
      );
      assert.equal(got[0]!.body, hidden, 'the body arrived as a body, whole');
    });
  }

  test('a Content-Length body on GET is forwarded with its length, and only that', async () => {
    const before = up.seen.length;
    const body = 'GET /smuggled-cl HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const text = await raw(
      port,
      `GET http://127.0.0.1:${up.port}/innocent-cl HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    assert.match(text, /^HTTP\/1\.1 200 /);
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(
      up.seen.slice(before).map((s) => `${s.method} ${s.url} ${s.body.length}`),
      [`GET /innocent-cl ${body.length}`],
    );
  });

  test('a GET-only agent cannot turn its next request into the body of a smuggled POST', async () => {
    // The classic: a declared-length POST head smuggled in a GET body would swallow the
    // next request (with whatever the proxy injected) as its body.
    const before = up.seen.length;
    const hidden = `POST /collect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 400\r\n\r\n`;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const answers: Buffer[] = [];
    socket.on('data', (c: Buffer) => answers.push(c));
    socket.write(
      withProxyAuth(
        `GET http://127.0.0.1:${up.port}/first HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n` +
          `Transfer-Encoding: chunked\r\n\r\n${chunked(hidden)}`,
        credentialed.get(port)!,
      ),
    );
    await new Promise((r) => setTimeout(r, 200));
    socket.write(
      withProxyAuth(
        `GET http://127.0.0.1:${up.port}/second HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n\r\n`,
        credentialed.get(port)!,
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    socket.destroy();
    const text = Buffer.concat(answers).toString('latin1');
    assert.equal((text.match(/HTTP\/1\.1 200 /g) ?? []).length, 2, 'both requests were answered');
    assert.match(text, /GET \/second body=0/, 'the second request got its own answer');
    assert.deepEqual(
      up.seen.slice(before).map((s) => `${s.method} ${s.url}`),
      ['GET /first', 'GET /second'],
    );
  });

  test('an Upgrade request with a body is refused, not half-forwarded', async () => {
    const before = up.seen.length;
    const text = await raw(
      port,
      `GET http://127.0.0.1:${up.port}/ws HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n` +
        'Connection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\n\r\nhello',
    );
    assert.match(text, /^HTTP\/1\.1 400 /);
    assert.match(text, /body/);
    assert.equal(up.seen.length, before, 'nothing reached the upstream');
  });
});

describe('upstream connections', () => {
  let d: TestDaemon;
  let up: Awaited<ReturnType<typeof recordingUpstream>>;
  const policy = policyYaml(['- match: 127.0.0.1', '  action: allow'].join('\n'));

  before(async () => {
    up = await recordingUpstream();
    d = await startTestDaemon();
  });

  after(async () => {
    await d?.stop();
    up?.server.closeAllConnections();
    await new Promise((r) => up?.server.close(r));
  });

  test('two sandboxes never share an upstream connection', async () => {
    const a = portOf(await d.listener(policy, { label: 'alpha' }));
    const b = portOf(await d.listener(policy, { label: 'beta' }));
    const ports = { alpha: new Set<number>(), beta: new Set<number>() };
    for (let i = 0; i < 6; i++) {
      for (const [name, p] of [
        ['alpha', a],
        ['beta', b],
      ] as const) {
        const before = up.seen.length;
        assert.match(await get(p, `http://127.0.0.1:${up.port}/${name}/${i}`), /^200 /);
        ports[name].add(up.seen[before]!.remotePort);
      }
    }
    const shared = [...ports.alpha].filter((p) => ports.beta.has(p));
    assert.deepEqual(shared, [], 'no upstream socket carried both sandboxes');
  });

  test('an idle upstream socket that receives unasked-for bytes is not reused', {
    timeout: 20_000,
  }, async () => {
    // A raw upstream: answers each request, and after the first answer sends a forged
    // response nobody asked for on the idle connection.
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const forged = 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged';
    const evil = net.createServer((socket) => {
      connections++;
      sockets.add(socket);
      let first = true;
      socket.on('error', () => {});
      socket.on('data', (c: Buffer) => {
        if (!c.toString('latin1').includes('\r\n\r\n')) return;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal');
        if (first) setTimeout(() => socket.writable && socket.write(forged), 50);
        first = false;
      });
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    const evilPort = (evil.address() as net.AddressInfo).port;
    try {
      const p = portOf(await d.listener(policy, { label: 'victim' }));
      assert.equal(await get(p, `http://127.0.0.1:${evilPort}/one`), '200 real');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await get(p, `http://127.0.0.1:${evilPort}/two`), '200 real', 'not the forged answer');
      assert.equal(connections, 2, 'the poisoned connection was dropped, a new one made');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => evil.close(r));
    }
  });
});
