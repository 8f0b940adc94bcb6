import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { makeTempDir, type TempDir } from '../../test/support/temp-dir.ts';
import { CertificateAuthority } from '../ca/index.ts';
import { keepAliveHint } from './keep-alive-hint.ts';
import { UpstreamPool, type UpstreamRequest, UpstreamTrust } from './upstream.ts';

/**
 * Whether Nagle's algorithm is off on `socket`, as Node last applied it to the handle (Node
 * keeps it under an internal symbol: there is no getsockopt). A Node without that symbol
 * fails the test rather than passing it.
 */
function noDelayOf(socket: net.Socket): boolean {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kSetNoDelay');
  assert.ok(key, 'this Node keeps no kSetNoDelay state on its sockets: update noDelayOf');
  return (socket as unknown as Record<symbol, unknown>)[key] === true;
}

let home: TempDir;
let pool: UpstreamPool;
const servers: net.Server[] = [];
let httpPort = 0;
let httpsPort = 0;

const answer = (req: http.IncomingMessage, res: http.ServerResponse) => {
  req.resume();
  req.on('end', () => res.end('ok'));
};
const listen = (s: net.Server) =>
  new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));

before(async () => {
  home = makeTempDir();
  const ca = await CertificateAuthority.loadOrCreate(path.join(home.dir, 'ca'));
  const secureContext = await ca.secureContextFor('127.0.0.1');
  const plain = http.createServer(answer);
  const inner = http.createServer(answer);
  // Clients connecting to an IP send no SNI: TLS is terminated per socket with the leaf.
  const secure = net.createServer((s) => {
    const t = new tls.TLSSocket(s, { isServer: true, secureContext });
    t.on('error', () => t.destroy());
    inner.emit('connection', t);
  });
  servers.push(plain, secure);
  httpPort = await listen(plain);
  httpsPort = await listen(secure);
  pool = new UpstreamPool(new UpstreamTrust([ca.certPem]));
});

after(async () => {
  pool.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  home.dispose();
});

/** POST 100 KB through the pool; resolves with the socket that carried it, once answered. */
function post(
  scheme: 'http' | 'https',
  port: number,
  extra: Partial<UpstreamRequest> = {},
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const req = pool.request({
      scheme,
      host: '127.0.0.1',
      port,
      address: { address: '127.0.0.1', family: 4 },
      method: 'POST',
      path: '/',
      headers: { host: `127.0.0.1:${port}`, 'content-length': String(100 * 1024) },
      ...extra,
    });
    let socket: net.Socket | undefined;
    req.on('socket', (s) => {
      socket = s;
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(socket!));
    });
    req.on('error', reject);
    req.end(Buffer.alloc(100 * 1024, 97));
  });
}

// Issue 17: a TLS upstream ran with Nagle's algorithm (tls.connect ignores `noDelay`), so
// the last record of a request body waited for a delayed ACK: ~45 ms on every POST of
// 60 KB or more through TLS interception.
test('upstream TLS sockets send at once (TCP_NODELAY), pooled and named alike', async () => {
  const first = await post('https', httpsPort);
  assert.equal(noDelayOf(first), true, 'a pooled TLS upstream socket has Nagle off');
  const again = await post('https', httpsPort);
  assert.equal(again, first, 'the kept-alive socket is reused');
  assert.equal(noDelayOf(again), true);
  // A named upstream (its own CA, its own pool) is connected the same way.
  const ca = await CertificateAuthority.loadOrCreate(path.join(home.dir, 'ca'));
  const named = await post('https', httpsPort, { tls: { ca: ca.certPem } });
  assert.notEqual(named, first, 'a named upstream has its own pool');
  assert.equal(noDelayOf(named), true, 'a named upstream socket has Nagle off');
});

test('upstream plain-HTTP sockets send at once too', async () => {
  assert.equal(noDelayOf(await post('http', httpPort)), true);
});

test('keepAliveHint reads the first Keep-Alive header as Node does', () => {
  assert.equal(keepAliveHint(['Content-Length', '2', 'keep-alive', 'timeout=5, max=100']), 5);
  assert.equal(keepAliveHint(['KEEP-ALIVE', 'timeout=7', 'Keep-Alive', 'timeout=1']), 7);
  assert.equal(keepAliveHint(['Keep-Alive', 'max=100, timeout=5']), undefined);
  assert.equal(keepAliveHint(['Connection', 'keep-alive']), undefined);
});

// The pool reads the upstream's keep-alive hint itself (not through Node's header object):
// a socket whose upstream closes idle connections within a second is not kept, a longer
// hint keeps it.
test('kept sockets follow the upstream Keep-Alive hint', async () => {
  const hinted = http.createServer((req, res) => {
    const hint = req.headers['x-hint'] as string;
    req.resume();
    req.on('end', () => res.end('ok'));
    if (hint !== 'none') res.setHeader('Keep-Alive', hint);
  });
  servers.push(hinted);
  const port = await listen(hinted);
  const get = (hint: string) =>
    new Promise<{ socket: net.Socket; reused: boolean }>((resolve, reject) => {
      const req = pool.request({
        scheme: 'http',
        host: '127.0.0.1',
        port,
        address: { address: '127.0.0.1', family: 4 },
        method: 'GET',
        path: '/',
        headers: { host: `127.0.0.1:${port}`, 'x-hint': hint },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => setImmediate(() => resolve({ socket: req.socket!, reused: req.reusedSocket })));
      });
      req.on('error', reject);
      req.end();
    });
  const short = await get('timeout=1');
  assert.equal(
    short.socket.destroyed || short.socket.readyState === 'closed' || !short.socket.writable,
    true,
    'a 1 s hint: not kept',
  );
  const first = await get('timeout=5');
  assert.equal(first.reused, false);
  // As in Node, a hint only shortens an agent timeout; the pool sets none.
  assert.equal(first.socket.timeout, 0);
  const second = await get('none');
  assert.equal(second.reused, true, 'the kept socket is reused');
  assert.equal(second.socket, first.socket);
});
