// Hostile and malformed input against one governed listener, over raw sockets: broken
// request lines, garbage bytes, huge headers, CR/LF tricks, bad absolute URLs, slow
// senders, invalid CONNECT targets, TLS garbage, resets, half-closed sockets and a burst of
// dropped connections. Between batches a good client must still be served and the API
// must still answer. A malformed policy must never half-apply.
// Every loop is bounded in count and every wait in time; all traffic goes to 127.0.0.1.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { ApiClientError } from '../../supervisor/api/client.ts';
import type { PolicyErrorView } from '../../supervisor/api/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;
let sandboxId: string;
let proxyPort: number;
let proxyEnv: Record<string, string>;

// mitm.test has a path rule, so its tunnels are intercepted; 127.0.0.1 is allowed at the
// host level, so its tunnels are spliced; blocked.test is denied.
const POLICY = policyYaml(
  [
    '- match: mitm.test',
    '  paths: ["/**"]',
    '  action: allow',
    '- match: blocked.test',
    '  action: deny',
    '- match: 127.0.0.1',
    '  action: allow',
  ].join('\n'),
);

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({
    upstreamCa: [up.caPem],
    resolve: { 'mitm.test': '127.0.0.1', 'blocked.test': '127.0.0.1' },
  });
  const created = await d.listener(POLICY, { label: 'hostile' });
  sandboxId = created.listener.sandboxId;
  proxyPort = created.listener.port;
  proxyEnv = created.env;
});

after(async () => {
  await d?.stop();
  await up?.close();
});

// ---------------------------------------------------------------------------------------
// Raw socket helpers

interface Exchange {
  /** Status of the first response line, or null when none came. */
  status: number | null;
  text: string;
  timedOut: boolean;
}

function statusOf(text: string): number | null {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Send `data` on a fresh connection to the listener and collect what comes back until the
 * server closes, or `ms` passes (then the socket is destroyed).
 */
function exchange(
  data: string | Buffer | Array<string | Buffer>,
  opts: { end?: boolean; ms?: number } = {},
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = net.connect(proxyPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, opts.ms ?? 3000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: statusOf(text), text, timedOut });
    });
    for (const part of Array.isArray(data) ? data : [data]) socket.write(part);
    if (opts.end) socket.end();
  });
}

/** Open a CONNECT tunnel and wait for the proxy's answer head. */
function openTunnel(
  authority: string,
): Promise<{ socket: net.Socket; status: number | null; rest: Buffer; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(proxyPort, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to CONNECT ${authority}`));
    }, 3000);
    const onData = (c: Buffer) => {
      buffer = Buffer.concat([buffer, c]);
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      const head = buffer.subarray(0, end).toString('latin1');
      resolve({ socket, status: statusOf(head), head, rest: buffer.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', () => {});
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  });
}

/** Wait until a socket closes (or destroy it after `ms`); resolves with whether it closed by itself. */
function closed(socket: net.Socket, ms = 3000): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.resume();
  });
}

/** Run `fn` over `items`, `width` at a time. */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T, i: number) => Promise<R>) {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    out.push(...(await Promise.all(items.slice(i, i + width).map((item, k) => fn(item, i + k)))));
  }
  return out;
}

/** A small seeded PRNG (mulberry32) so garbage is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let hostileCount = 0;

// ---------------------------------------------------------------------------------------
// The good client

async function assertServed(label: string): Promise<void> {
  const plain = new ProxyAgent({ uri: `http://127.0.0.1:${proxyPort}`, proxyTunnel: false });
  const tunnel = new ProxyAgent({
    uri: `http://127.0.0.1:${proxyPort}`,
    requestTls: { ca: [d.daemon.ca.certPem] },
  });
  try {
    const a = await undiciFetch(`http://127.0.0.1:${up.httpPort}/good?after=${label}`, {
      dispatcher: plain,
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(a.status, 200, `plain HTTP after ${label}`);
    assert.equal(((await a.json()) as { url: string }).url, `/good?after=${label}`);
    const b = await undiciFetch(`https://mitm.test:${up.httpsPort}/good`, {
      dispatcher: tunnel,
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(b.status, 200, `intercepted HTTPS after ${label}`);
    await b.arrayBuffer();
    const status = await d.client.call('GET /v1/status', { timeoutMs: 5000 });
    assert.ok(
      status.listeners.some((l) => l.sandboxId === sandboxId),
      `the API answers after ${label}`,
    );
  } finally {
    await Promise.all([plain.close(), tunnel.close()]);
  }
}

/** One assertion listing every input that did not get the expected status. */
function assertStatuses(results: Exchange[], expected: number, label: (i: number) => string): void {
  const wrong = results
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.status !== expected)
    .map(
      ({ r, i }) =>
        `${label(i).slice(0, 80)} → ${r.timedOut ? 'no answer' : JSON.stringify(r.text.slice(0, 60))}`,
    );
  assert.deepEqual(wrong, [], `expected ${expected} for every input`);
}

function uniqueStatuses(results: Exchange[]): string {
  return [...new Set(results.map((r) => (r.timedOut ? 'timeout' : String(r.status))))].join(',');
}

// ---------------------------------------------------------------------------------------

describe('hostile input against one listener', () => {
  test('the good client is served before anything hostile happens', async () => {
    await assertServed('start');
  });

  test('broken request lines get 400', async () => {
    const u = `http://127.0.0.1:${up.httpPort}`;
    const lines = [
      'GARBAGE',
      'GET',
      'GET /',
      'GET / HTTP/9.9',
      'GET / HTTP/1.1 extra',
      'GET  HTTP/1.1',
      ' GET / HTTP/1.1',
      'GET\t/\tHTTP/1.1',
      `G€T ${u}/ HTTP/1.1`,
      `GET ${u}/ HTTP/1.1 HTTP/1.1`,
      `GET ${u}/ FTP/1.1`,
      `GET ${u}/ http/1.1`,
      `GET ${u}/ HTTP/1.`,
      `GET ${u}/ HTTP/`,
      `GET ${u}/a b HTTP/1.1`,
      `GET ${u}/\x01 HTTP/1.1`,
      `GET ${u}/\x7f HTTP/1.1`,
      `(GET) ${u}/ HTTP/1.1`,
      `GET: ${u}/ HTTP/1.1`,
      `HTTP/1.1 200 OK`,
      '\x00\x00\x00\x00',
      '/ GET HTTP/1.1',
      // origin-form (not a proxy request), and targets that are not absolute URLs
      '/just/a/path HTTP/1.1',
      'GET /origin-form HTTP/1.1',
      'GET * HTTP/1.1',
      'GET 127.0.0.1:80 HTTP/1.1',
      'GET //127.0.0.1/ HTTP/1.1',
      'GET http:/127.0.0.1/ HTTP/1.1',
      'OPTIONS * HTTP/1.1',
    ];
    const results = await inBatches(lines, 16, (line) =>
      exchange(`${line}\r\nHost: 127.0.0.1\r\n\r\n`, { end: true }),
    );
    hostileCount += results.length;
    assertStatuses(results, 400, (i) => JSON.stringify(lines[i]));
    await assertServed('broken-request-lines');
  });

  test('garbage bytes never reach an upstream and get 400 or a close', async () => {
    const rand = prng(0x5eed);
    const before = up.received.length;
    const inputs = Array.from({ length: 150 }, (_, i) => {
      const length = 1 + Math.floor(rand() * (i % 3 === 0 ? 4000 : 200));
      const bytes = Buffer.alloc(length);
      for (let k = 0; k < length; k++) bytes[k] = Math.floor(rand() * 256);
      // Some start like a request, so the parser gets further before it chokes.
      if (i % 5 === 1) return Buffer.concat([Buffer.from('GET http://127.0.0.1/ HTTP/1.1\r\n'), bytes]);
      if (i % 5 === 2) return Buffer.concat([bytes, Buffer.from('\r\n\r\n')]);
      return bytes;
    });
    const results = await inBatches(inputs, 25, (bytes) => exchange(bytes, { end: true }));
    hostileCount += results.length;
    for (const r of results) {
      assert.ok(!r.timedOut, 'the proxy closes a garbage connection by itself');
      assert.ok(r.status === null || r.status === 400, `got ${r.text.slice(0, 60)}`);
    }
    assert.ok(
      results.filter((r) => r.status === 400).length > 100,
      `most garbage gets an explicit 400 (${uniqueStatuses(results)})`,
    );
    assert.equal(up.received.length, before, 'nothing was forwarded');
    await assertServed('garbage');
  });

  test('headers larger than 32 KB get 431', async () => {
    const u = `http://127.0.0.1:${up.httpPort}`;
    const before = up.received.length;
    const variants: Array<[string, string | Buffer | Array<string | Buffer>]> = [
      ['one 40 KB header', `GET ${u}/big HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`],
      ['a 40 KB URL', `GET ${u}/${'a'.repeat(40_000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
      [
        '1,800 small headers',
        `GET ${u}/many HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 1800 }, (_, i) => `X-H${i}: ${'v'.repeat(16)}\r\n`).join('')}\r\n`,
      ],
      ['a 40 KB header name', `GET ${u}/ HTTP/1.1\r\nHost: x\r\n${'N'.repeat(40_000)}: v\r\n\r\n`],
      [
        '1 MB of header in chunks, never finished',
        Array.from({ length: 64 }, (_, i) =>
          i === 0 ? `GET ${u}/ HTTP/1.1\r\nX-Long: ` : 'b'.repeat(16_384),
        ),
      ],
      [
        'a 40 KB CONNECT',
        `CONNECT 127.0.0.1:${up.httpsPort} HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(40_000)}\r\n\r\n`,
      ],
    ];
    const all = variants.flatMap((v) => Array.from({ length: 6 }, () => v));
    const results = await inBatches(all, 12, ([, data]) => exchange(data));
    hostileCount += results.length;
    assertStatuses(results, 431, (i) => all[i]![0]);
    assert.equal(up.received.length, before, 'nothing was forwarded');
    await assertServed('huge-headers');
  });

  test('CR/LF tricks in headers and URLs are refused or neutralised', async () => {
    const u = `http://127.0.0.1:${up.httpPort}`;
    const refused = [
      `GET ${u}/cr HTTP/1.1\r\nHost: x\r\nX-A: a\rX-Injected: yes\r\n\r\n`,
      `GET ${u}/lf HTTP/1.1\r\nHost: x\r\nX-A: a\nX-Injected: yes\r\n\r\n`,
      `GET ${u}/lf-only HTTP/1.1\nHost: x\nX-Injected: yes\n\n`,
      `GET ${u}/fold HTTP/1.1\r\nHost: x\r\nX-A: a\r\n X-Injected: yes\r\n\r\n`,
      `GET ${u}/nul HTTP/1.1\r\nHost: x\r\nX-A: a\0X-Injected: yes\r\n\r\n`,
      `GET ${u}/space HTTP/1.1\r\nHost: x\r\nX-Injected : yes\r\n\r\n`,
      `GET ${u}/colon HTTP/1.1\r\nHost: x\r\n: yes\r\n\r\n`,
      `GET ${u}/crline\r HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET ${u}/te HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
      `POST ${u}/two-cl HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`,
      `POST ${u}/bad-chunk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n`,
      `GET http://127.0.0.1:${up.httpPort}%0d%0aX-Injected:%20yes/ HTTP/1.1\r\nHost: x\r\n\r\n`,
    ];
    const results = await inBatches(refused, 12, (data) => exchange(data, { end: true }));
    hostileCount += results.length;
    assertStatuses(results, 400, (i) => JSON.stringify(refused[i]));

    // Encoded CR/LF in a path is forwarded still encoded: the upstream never sees a new header.
    const encoded = await exchange(
      `GET ${u}/a%0d%0aX-Injected:%20yes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    hostileCount++;
    assert.equal(encoded.status, 200);
    const seen = up.received.find((x) => x.url.startsWith('/a%0'));
    assert.ok(seen, 'forwarded');
    assert.match(seen.url, /^\/a%0[dD]%0[aA]X-Injected:%20yes$/);
    assert.equal(seen.headers['x-injected'], undefined);
    assert.ok(!up.received.some((x) => x.headers['x-injected'] !== undefined), 'no injected header anywhere');
    await assertServed('crlf');
  });

  test('absolute URLs with a bad host or scheme get 400 and are not forwarded', async () => {
    const before = up.received.length;
    const targets = [
      'http://exa mple.com/',
      'http://[::1/',
      'http://a..b/',
      'http://%00/',
      'http://%zz/',
      'http://-bad-.test/',
      'http://127.0.0.1:99999/',
      'http://127.0.0.1:-1/',
      'http://:80/',
      'http://user:pass@127.0.0.1/',
      `http://${'a'.repeat(64)}.test/`,
      `http://${Array.from({ length: 60 }, () => 'abcd').join('.')}/`,
      'https://127.0.0.1/',
      'ftp://127.0.0.1/',
      'file:///etc/passwd',
      'gopher://127.0.0.1:70/',
      'javascript:alert(1)',
      'http://[fe80::1%25eth0]/',
      'http://127.0.0.1\\@evil.test/',
    ];
    const results = await inBatches(targets, 10, (t) =>
      exchange(`GET ${t} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
    );
    hostileCount += results.length;
    assertStatuses(results, 400, (i) => `GET ${targets[i]}`);
    // Odd but parseable: the URL parser reads `http:///x` as host "x", which the policy denies.
    const odd = await exchange(`GET http:///path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    hostileCount++;
    assert.equal(odd.status, 403, odd.text.slice(0, 80));
    assert.equal(up.received.length, before, 'nothing was forwarded');
    await assertServed('bad-urls');
  });

  test('invalid CONNECT targets get 400', async () => {
    const targets = [
      'nohost',
      'a:99999',
      '[::1',
      '[::1]',
      ':443',
      'a:',
      'a:0',
      'a:65536',
      'a:-1',
      'a:443:1',
      '::1:443',
      '[::1:443',
      '[zz::1]:443',
      'exa%20mple.com:443',
      'a..b:443',
      '.:443',
      `${'a'.repeat(300)}:443`,
      'http://127.0.0.1:443',
      '/path',
      '*',
    ];
    const results = await inBatches(targets, 10, (t) => exchange(`CONNECT ${t} HTTP/1.1\r\nHost: x\r\n\r\n`));
    hostileCount += results.length;
    assertStatuses(results, 400, (i) => `CONNECT ${targets[i]}`);
    // And a CONNECT whose request line is itself broken.
    const broken = await exchange('CONNECT a b:443 HTTP/1.1\r\n\r\n', { end: true });
    hostileCount++;
    assert.equal(broken.status, 400);
    await assertServed('bad-connect');
  });

  test('slow senders do not hold up other clients', async () => {
    // Slowloris: 10 connections, each sending one header byte per 100 ms for ~3 s. The
    // server's headersTimeout is 30 s, so they are still open when we stop them.
    const slow = Array.from({ length: 10 }, () => net.connect(proxyPort, '127.0.0.1'));
    const request = `GET http://127.0.0.1:${up.httpPort}/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'s'.repeat(100)}`;
    let sent = 0;
    const got: Buffer[] = [];
    for (const s of slow) {
      s.on('error', () => {});
      s.on('data', (c: Buffer) => got.push(c));
    }
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write(request.charAt(sent % request.length));
      sent++;
    }, 100);
    hostileCount += slow.length;
    try {
      const deadline = Date.now() + 3000;
      let served = 0;
      while (Date.now() < deadline && served < 200) {
        const t = performance.now();
        const r = await curl(proxyEnv, ['--max-time', '3', `http://127.0.0.1:${up.httpPort}/meanwhile`]);
        assert.equal(r.status, 200, r.stderr);
        assert.ok(performance.now() - t < 2000, 'served promptly while slow senders drip');
        served++;
      }
      assert.ok(served >= 5, `served ${served} good requests meanwhile`);
      assert.ok(sent >= 20, 'the slow senders kept dripping');
      assert.equal(got.length, 0, 'a slow sender gets nothing back before its headers end');
      assert.ok(
        slow.every((s) => !s.destroyed),
        'slow senders are still open (headersTimeout is 30 s)',
      );
    } finally {
      clearInterval(drip);
      for (const s of slow) s.destroy();
    }
    await assertServed('slowloris');
  });

  test('TLS garbage after a CONNECT 200, ClientHellos then resets', async () => {
    const rand = prng(0x7151);
    // Garbage in intercepted tunnels (the proxy terminates TLS) and in spliced ones.
    const garbage = Array.from({ length: 40 }, (_, i) => {
      const length = 5 + Math.floor(rand() * 3000);
      const bytes = Buffer.alloc(length);
      for (let k = 0; k < length; k++) bytes[k] = Math.floor(rand() * 256);
      if (i % 2 === 0) {
        // A plausible, complete TLS handshake record with a nonsense body.
        bytes[0] = 0x16;
        bytes[1] = 0x03;
        bytes[2] = 0x01;
        bytes.writeUInt16BE(length - 5, 3);
      }
      return { bytes, authority: i % 4 === 3 ? `127.0.0.1:${up.httpsPort}` : `mitm.test:${up.httpsPort}` };
    });
    const closedByProxy = await inBatches(garbage, 10, async ({ bytes, authority }) => {
      const t = await openTunnel(authority);
      assert.equal(t.status, 200, t.head);
      t.socket.write(bytes);
      return closed(t.socket, 3000);
    });
    hostileCount += garbage.length;
    assert.ok(closedByProxy.every(Boolean), 'every garbage tunnel was closed by the proxy (or upstream)');

    // A real ClientHello, then a TCP reset at different points of the handshake.
    const delays = Array.from({ length: 30 }, (_, i) => i % 15);
    await inBatches(delays, 10, async (delay, i) => {
      const t = await openTunnel(i % 3 === 2 ? `127.0.0.1:${up.httpsPort}` : `mitm.test:${up.httpsPort}`);
      assert.equal(t.status, 200);
      const secure = tls.connect({ socket: t.socket, servername: 'mitm.test', rejectUnauthorized: false });
      secure.on('error', () => {});
      await sleep(delay);
      t.socket.resetAndDestroy();
      secure.destroy();
    });
    hostileCount += delays.length;

    // Plain junk inside an intercepted tunnel, and a request whose Host does not match the tunnel.
    const junk = await openTunnel(`mitm.test:${up.httpPort}`);
    junk.socket.write('JUNK\r\n\r\n');
    assert.ok(await closed(junk.socket), 'junk inside an intercepted tunnel is closed');
    hostileCount++;

    const mismatch = await openTunnel(`mitm.test:${up.httpsPort}`);
    const secure = tls.connect({
      socket: mismatch.socket,
      servername: 'mitm.test',
      ca: [d.daemon.ca.certPem],
    });
    const answer = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => reject(new Error('no answer inside the tunnel')), 3000);
      secure.on('error', reject);
      secure.on('secureConnect', () =>
        secure.write(`GET /smuggle HTTP/1.1\r\nHost: blocked.test\r\nConnection: close\r\n\r\n`),
      );
      secure.on('data', (c: Buffer) => chunks.push(c));
      secure.on('end', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    secure.destroy();
    hostileCount++;
    assert.equal(statusOf(answer), 421, answer.slice(0, 100));
    assert.match(answer, /does not match the tunnel's host/);
    assert.ok(!up.received.some((x) => x.url === '/smuggle'), 'the mismatched request was not forwarded');
    await assertServed('tls-garbage');
  });

  test('half-closed sockets are answered or closed, never left hanging', async () => {
    const u = `http://127.0.0.1:${up.httpPort}`;
    const cases: Array<string | Buffer> = [
      `GET ${u}/half HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET ${u}/half-partial HTTP/1.1\r\nHost: x\r\n`,
      `POST ${u}/half-body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly some`,
      `CONNECT 127.0.0.1:${up.httpPort} HTTP/1.1\r\nHost: x\r\n\r\nGET /half-tunnel HTTP/1.1\r\nHost: x\r\n\r\n`,
      '',
    ];
    const all = cases.flatMap((c) => Array.from({ length: 5 }, () => c));
    const results = await inBatches(all, 10, (data) => exchange(data, { end: true, ms: 3000 }));
    hostileCount += results.length;
    results.forEach((r, i) => {
      assert.ok(!r.timedOut, `${JSON.stringify(all[i]).slice(0, 60)} was left hanging`);
      assert.ok(r.status === null || r.status === 200 || r.status === 400, r.text.slice(0, 80));
    });
    await assertServed('half-closed');
  });

  test('100 connections opened and dropped at once leave nothing behind', async () => {
    const listener = d.daemon.sandboxes.listener(sandboxId)!;
    await sleep(200);
    const baseline = listener.openConnections;
    const u = `http://127.0.0.1:${up.httpPort}`;
    const sockets = await Promise.all(
      Array.from(
        { length: 100 },
        (_, i) =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(proxyPort, '127.0.0.1', () => {
              if (i % 4 === 1) s.write(`GET ${u}/dropped HTTP/1.1\r\nHost: x\r\n`);
              if (i % 4 === 2) s.write(`CONNECT mitm.test:${up.httpsPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
              if (i % 4 === 3) s.write(`GET ${u}/dropped-whole HTTP/1.1\r\nHost: x\r\n\r\n`);
              resolve(s);
            });
            s.on('error', () => resolve(s));
          }),
      ),
    );
    hostileCount += sockets.length;
    // Even ones are reset (RST), odd ones closed (FIN); the half-closed CONNECT case has its own test.
    sockets.forEach((s, i) => {
      if (i % 2 === 0) s.resetAndDestroy();
      else s.destroy();
    });
    await until(
      'dropped connections to be released',
      () => listener.openConnections <= baseline || undefined,
      5000,
    );
    await assertServed('dropped');
  });

  test('CONNECTs half-closed before their first byte (intercepted or denied) are closed, not leaked', async () => {
    const listener = d.daemon.sandboxes.listener(sandboxId)!;
    const baseline = listener.openConnections;
    const tunnels = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        openTunnel(i % 2 ? `mitm.test:${up.httpsPort}` : `blocked.test:${up.httpsPort}`),
      ),
    );
    hostileCount += tunnels.length;
    // Half-close (FIN) without sending a byte: the client is done.
    for (const t of tunnels) t.socket.end();
    const byProxy = await Promise.all(tunnels.map((t) => closed(t.socket, 2000)));
    await sleep(200);
    assert.ok(byProxy.every(Boolean), 'the proxy closed every abandoned tunnel');
    assert.ok(
      listener.openConnections <= baseline,
      `listener holds ${listener.openConnections - baseline} leaked sockets`,
    );
  });

  test('a few hundred hostile inputs were sent, and curl is still served at the end', async () => {
    assert.ok(hostileCount >= 300, `sent ${hostileCount} hostile inputs`);
    const r = await curl(proxyEnv, [`http://127.0.0.1:${up.httpPort}/final`]);
    assert.equal(r.status, 200, r.stderr);
    const s = await curl(proxyEnv, [`https://mitm.test:${up.httpsPort}/final`]);
    assert.equal(s.status, 200, s.stderr);
    const blocked = await curl(proxyEnv, [`http://blocked.test:${up.httpPort}/final`]);
    assert.equal(blocked.status, 403);
  });
});

// ---------------------------------------------------------------------------------------

async function rejected(promise: Promise<unknown>): Promise<ApiClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiClientError, String(error));
    return error;
  }
  assert.fail('the call was expected to fail');
}

function assertLines(errors: PolicyErrorView[] | undefined, expected: Array<[string, number]>): void {
  assert.ok(errors && errors.length > 0, 'errors are listed');
  for (const e of errors) {
    assert.ok(Number.isInteger(e.line) && e.line >= 1, `error has a line: ${JSON.stringify(e)}`);
  }
  for (const [path, line] of expected) {
    assert.ok(
      errors.some((e) => e.path === path && e.line === line),
      `expected an error at ${path} line ${line}, got ${JSON.stringify(errors)}`,
    );
  }
}

describe('a malformed policy never half-applies', () => {
  const brokenYaml = [
    'apiVersion: warden.dev/v1', // 1
    'kind: Policy', // 2
    'metadata:', // 3
    '  name: broken', // 4
    'spec:', // 5
    '  network:', // 6
    '    default: allow', // 7
    '    rules:', // 8
    '      - match: blocked.test', // 9
    '        action: allow', // 10
    '       bad-indent: [unclosed', // 11
    '',
  ].join('\n');
  const badRuleYaml = [
    'apiVersion: warden.dev/v1', // 1
    'kind: Policy', // 2
    'metadata:', // 3
    '  name: bad-rule', // 4
    'spec:', // 5
    '  network:', // 6
    '    default: allow', // 7
    '    rules:', // 8
    '      - match: blocked.test', // 9
    '        action: allow', // 10
    '      - match: "bad host!"', // 11
    '        action: maybe', // 12
    '        paths: ["no-slash"]', // 13
    '',
  ].join('\n');
  const aliasBomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    '',
  ].join('\n');

  test('PUT /v1/policy (project layer) with broken YAML or an invalid rule: 400 with lines, nothing changed', async () => {
    const before = await d.client.call('GET /v1/policy', { query: { sandbox: sandboxId } });
    const cases: Array<[string, string, Array<[string, number]>]> = [
      ['broken YAML', brokenYaml, []],
      [
        'an invalid rule',
        badRuleYaml,
        [
          ['spec.network.rules[1].match', 11],
          ['spec.network.rules[1].action', 12],
          ['spec.network.rules[1].paths[0]', 13],
        ],
      ],
      ['an alias bomb', aliasBomb, []],
      ['an empty document', '', []],
    ];
    for (const [what, yaml, expected] of cases) {
      const t = performance.now();
      const error = await rejected(
        d.client.call('PUT /v1/policy', { body: { layer: 'project', sandboxId, yaml, source: 'bad.yaml' } }),
      );
      assert.equal(error.status, 400, what);
      assert.equal(error.name, 'PolicyInvalid', what);
      assertLines(error.details.errors, expected);
      assert.ok(performance.now() - t < 5000, `${what} is refused promptly`);
      const after = await d.client.call('GET /v1/policy', { query: { sandbox: sandboxId } });
      assert.deepEqual(after, before, `${what}: the policy is unchanged`);
    }
    // The broken documents would have allowed blocked.test; it is still denied.
    const r = await curl(proxyEnv, [`http://blocked.test:${up.httpPort}/still-blocked`]);
    assert.equal(r.status, 403);
    assert.ok(
      !d.events.some((e) => e.type === 'policy.changed' && e.sandboxId === sandboxId),
      'no policy.changed event',
    );
  });

  test('PUT /v1/policy (base layer) with an invalid rule writes no file and changes nothing', async () => {
    const before = await d.client.call('GET /v1/policy');
    const baseExisted = existsSync(d.daemon.paths.basePolicy);
    for (const yaml of [brokenYaml, badRuleYaml]) {
      const error = await rejected(d.client.call('PUT /v1/policy', { body: { layer: 'base', yaml } }));
      assert.equal(error.status, 400);
      assertLines(error.details.errors, yaml === badRuleYaml ? [['spec.network.rules[1].action', 12]] : []);
    }
    assert.deepEqual(await d.client.call('GET /v1/policy'), before);
    assert.equal(existsSync(d.daemon.paths.basePolicy), baseExisted, 'no base policy file was written');
    assert.deepEqual(
      await d.client
        .call('GET /v1/policy', { query: { sandbox: sandboxId } })
        .then((p) => p.resolved.rules.length),
      3,
    );
    await assertServed('bad-policy');
  });
});
