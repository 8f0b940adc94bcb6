// The proxy's own plain-HTTP client against scripted upstreams on loopback: reuse, what
// makes a connection unfit for reuse, retries of stale kept connections, interim and
// close-delimited answers, and answers that fail.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { type RawAnswer, UnwritableRequest } from './raw-call.ts';
import { RawPool } from './raw-pool.ts';

interface Upstream {
  port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Everything each connection sent, by connection. */
  received: string[];
  close(): void;
}

/** A TCP upstream that answers each request head (or whole request) with `answer(n, conn)`. */
async function upstream(
  answer: (socket: net.Socket, request: string, nth: number) => void,
): Promise<Upstream> {
  const sockets = new Set<net.Socket>();
  const state: Upstream = {
    port: 0,
    connections: 0,
    received: [],
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const index = state.connections++;
    state.received[index] = '';
    let pending = '';
    let nth = 0;
    socket.on('data', (b) => {
      state.received[index] += b.toString('latin1');
      pending += b.toString('latin1');
      // One request per head; a body (if any) arrives with or after it and is ignored here.
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const request = pending.slice(0, end);
        pending = pending.slice(end + 4).replace(/^[^A-Z]*/, '');
        answer(socket, request, nth++);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}

const pools: RawPool[] = [];
after(() => {
  for (const p of pools) p.destroy();
});

function pool(): RawPool {
  const p = new RawPool();
  pools.push(p);
  return p;
}

interface Result {
  status?: number;
  body: string;
  error?: string;
}

/** One request through `p`; reads its answer, pausing after each chunk when `slow`. */
function send(
  p: RawPool,
  port: number,
  o: { method?: string; headers?: Record<string, string>; body?: string[]; slow?: boolean } = {},
): Promise<Result> {
  return new Promise((resolve) => {
    const result: Result = { body: '' };
    const call = p.request({
      scheme: 'http',
      host: '127.0.0.1',
      port,
      address: { address: '127.0.0.1', family: 4 },
      method: o.method ?? 'GET',
      path: '/x',
      headers: { host: `127.0.0.1:${port}`, ...o.headers },
    });
    call.on('error', (e: Error) => resolve({ ...result, error: e.message }));
    call.on('response', (answer: RawAnswer) => {
      result.status = answer.statusCode;
      answer.on('data', (c: Buffer) => {
        result.body += c.toString('latin1');
        // As a client's full socket does: reading pauses at every chunk, the last included.
        if (o.slow) {
          call.pauseReading();
          setTimeout(() => call.resumeReading(), 5);
        }
      });
      answer.on('end', () => resolve(result));
      answer.on('error', (e: Error) => resolve({ ...result, error: e.message }));
    });
    for (const chunk of o.body ?? []) call.write(Buffer.from(chunk));
    call.end();
  });
}

function ok(socket: net.Socket, body: string, extra = ''): void {
  socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}${extra}`);
}

test('a kept connection carries the next request, also after reading paused for a slow client', {
  timeout: 10_000,
}, async () => {
  const big = 'b'.repeat(300_000);
  const up = await upstream((s) => ok(s, big));
  const p = pool();
  for (let i = 0; i < 3; i++) {
    const r = await send(p, up.port, { slow: true });
    assert.equal(r.status, 200);
    assert.equal(r.body.length, big.length);
  }
  assert.equal(up.connections, 1);
  up.close();
});

test('chunks kept past their read are lent: later reads never overwrite them', {
  timeout: 10_000,
}, async () => {
  const body = Buffer.alloc(1_000_000);
  for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 13)) & 0xff;
  const up = await upstream((s) => {
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
    s.write(body);
  });
  const p = pool();
  for (let round = 0; round < 2; round++) {
    const held: Buffer[] = [];
    const backs: Array<() => void> = [];
    await new Promise<void>((resolve) => {
      const call = p.request({
        scheme: 'http',
        host: '127.0.0.1',
        port: up.port,
        address: { address: '127.0.0.1', family: 4 },
        method: 'GET',
        path: '/big',
        headers: { host: 'x' },
      });
      call.on('response', (answer: RawAnswer) => {
        answer.on('data', (c: Buffer) => {
          held.push(c);
          backs.push(call.lend());
        });
        answer.on('end', resolve);
      });
      call.end();
    });
    assert.ok(held.length > 3, `the body came in ${held.length} reads`);
    assert.ok(Buffer.concat(held).equals(body), 'no kept chunk was overwritten by a later read');
    for (const back of backs) back();
  }
  up.close();
});

test('bytes after a body: the connection is dropped and they never answer a later request', {
  timeout: 10_000,
}, async () => {
  const up = await upstream((s, _r, nth) => {
    if (nth === 0) ok(s, 'ok', 'HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged');
    else ok(s, 'real');
  });
  const p = pool();
  assert.equal((await send(p, up.port)).body, 'ok');
  assert.equal((await send(p, up.port)).body, 'ok');
  assert.equal(up.connections, 2);
  up.close();
});

test('a kept connection the upstream closed is replaced once for a GET, never for a POST', {
  timeout: 10_000,
}, async () => {
  // Each connection answers its first request and closes on its second, as an upstream
  // whose idle timeout fired just as the request was sent.
  const up = await upstream((s, _r, nth) => (nth === 0 ? ok(s, 'fine') : s.destroy()));
  const p = pool();
  assert.equal((await send(p, up.port)).body, 'fine');
  const again = await send(p, up.port);
  assert.equal(again.body, 'fine');
  assert.equal(up.connections, 2);
  const post = await send(p, up.port, { method: 'POST', headers: { 'content-length': '2' }, body: ['hi'] });
  assert.match(post.error ?? '', /socket hang up|ECONNRESET|EPIPE/);
  assert.equal(up.connections, 2, 'a POST is not sent twice');
  up.close();
});

test('interim answers are skipped and the final one relayed; a body until close is whole', {
  timeout: 10_000,
}, async () => {
  const up = await upstream((s, _r, nth) => {
    if (nth === 0)
      s.write('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    else s.end('HTTP/1.1 200 OK\r\n\r\nuntil the end');
  });
  const p = pool();
  const first = await send(p, up.port);
  assert.deepEqual([first.status, first.body], [200, 'ok']);
  const second = await send(p, up.port);
  assert.deepEqual([second.status, second.body, second.error], [200, 'until the end', undefined]);
  assert.equal((await send(p, up.port)).error, undefined);
  assert.equal(up.connections, 2, 'a close-delimited answer leaves no connection to reuse');
  up.close();
});

test('a chunked answer is decoded; a chunked request body is framed', { timeout: 10_000 }, async () => {
  const up = await upstream((s) =>
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'),
  );
  const p = pool();
  const r = await send(p, up.port, {
    method: 'POST',
    headers: { 'transfer-encoding': 'chunked' },
    body: ['hello', ' ', 'world'],
  });
  assert.equal(r.body, 'abc');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.match(up.received[0] ?? '', /\r\n\r\n5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n$/);
  up.close();
});

test('an answer cut short, or malformed, fails with a reason and is not reused', {
  timeout: 10_000,
}, async () => {
  const up = await upstream((s, request) => {
    if (request.includes('cut')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    else s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n');
  });
  const p = pool();
  const cut = await send(p, up.port, { headers: { 'x-case': 'cut' } });
  assert.equal(cut.body, 'abc');
  assert.match(cut.error ?? '', /socket hang up/);
  const bad = await send(p, up.port);
  assert.match(bad.error ?? '', /malformed: it has both Transfer-Encoding and Content-Length/);
  assert.equal(bad.status, undefined, 'nothing of it was answered');
  up.close();
});

test('a request head HTTP does not allow is not written', () => {
  const p = pool();
  const target = {
    scheme: 'http' as const,
    host: 'h',
    port: 1,
    address: { address: '127.0.0.1', family: 4 as const },
  };
  const bad: Array<{ method: string; path: string; headers: Record<string, string> }> = [
    { method: 'GET', path: '/x', headers: { 'x-a': 'one\r\nX-Injected: 1' } },
    { method: 'GET', path: '/x y', headers: {} },
    { method: 'GE T', path: '/x', headers: {} },
    { method: 'GET', path: '/x', headers: { 'bad name': 'v' } },
  ];
  for (const r of bad) assert.throws(() => p.request({ ...target, ...r }), UnwritableRequest);
  assert.equal(p.size, 0, 'no connection was opened for them');
});

test('an idle connection that speaks is dropped', { timeout: 10_000 }, async () => {
  let first: net.Socket | undefined;
  const up = await upstream((s) => {
    first ??= s;
    ok(s, 'ok');
  });
  const p = pool();
  await send(p, up.port);
  assert.equal(p.size, 1);
  first?.write('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(p.size, 0);
  assert.equal((await send(p, up.port)).body, 'ok');
  assert.equal(up.connections, 2);
  up.close();
});
