// Shared by the hostile-input-*.test.ts files: one governed listener (started by
// setUpHostileListener() in each file), raw-socket helpers to throw hostile input at it, and
// the good client that must still be served between batches.
// Every loop is bounded in count and every wait in time; all traffic goes to 127.0.0.1.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before } from 'node:test';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

export let up: Upstreams;
export let d: TestDaemon;
export let sandboxId: string;
export let proxyPort: number;
/** The listener's URL with its credential (raw requests get it from exchange() and openTunnel()). */
export let proxyUrl: string;
export let proxyEnv: Record<string, string>;

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

/** Start the upstreams and the daemon with its `hostile` listener before the file's tests; stop them after. */
export function setUpHostileListener(): void {
  before(async () => {
    up = await startUpstreams();
    d = await startTestDaemon({
      upstreamCa: [up.caPem],
      resolve: { 'mitm.test': '127.0.0.1', 'blocked.test': '127.0.0.1' },
    });
    const created = await d.listener(POLICY, { label: 'hostile' });
    sandboxId = created.listener.sandboxId;
    proxyPort = created.listener.port;
    proxyUrl = created.listener.clientProxyUrl;
    proxyEnv = created.env;
  });

  after(async () => {
    await d?.stop();
    await up?.close();
  });
}

// ---------------------------------------------------------------------------------------
// Raw socket helpers

export interface Exchange {
  /** Status of the first response line, or null when none came. */
  status: number | null;
  text: string;
  timedOut: boolean;
}

export function statusOf(text: string): number | null {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * Send `data` on a fresh connection to the listener and collect what comes back until the
 * server closes, or `ms` passes (then the socket is destroyed). The first request line gets
 * the listener's Proxy-Authorization after it unless `auth` is false.
 */
export function exchange(
  data: string | Buffer | Array<string | Buffer>,
  opts: { end?: boolean; ms?: number; auth?: boolean } = {},
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
    const parts = Array.isArray(data) ? [...data] : [data];
    if (opts.auth !== false && parts.length > 0) parts[0] = withProxyAuth(parts[0]!, proxyUrl);
    for (const part of parts) socket.write(part);
    if (opts.end) socket.end();
  });
}

/** Open a CONNECT tunnel and wait for the proxy's answer head. */
export function openTunnel(
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
    socket.write(withProxyAuth(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`, proxyUrl));
  });
}

/** Wait until a socket closes (or destroy it after `ms`); resolves with whether it closed by itself. */
export function closed(socket: net.Socket, ms = 3000): Promise<boolean> {
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
export async function inBatches<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T, i: number) => Promise<R>,
) {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    out.push(...(await Promise.all(items.slice(i, i + width).map((item, k) => fn(item, i + k)))));
  }
  return out;
}

/** A small seeded PRNG (mulberry32) so garbage is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hostile inputs sent so far by this file (each file has its own listener and count). */
export const hostile = { count: 0 };

// ---------------------------------------------------------------------------------------
// The good client

export async function assertServed(label: string): Promise<void> {
  const plain = new ProxyAgent({ uri: proxyUrl, proxyTunnel: false });
  const tunnel = new ProxyAgent({
    uri: proxyUrl,
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
      status.sandboxes.some((s) => s.sandboxId === sandboxId),
      `the API answers after ${label}`,
    );
  } finally {
    await Promise.all([plain.close(), tunnel.close()]);
  }
}

/** One assertion listing every input that did not get the expected status. */
export function assertStatuses(results: Exchange[], expected: number, label: (i: number) => string): void {
  const wrong = results
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.status !== expected)
    .map(
      ({ r, i }) =>
        `${label(i).slice(0, 80)} → ${r.timedOut ? 'no answer' : JSON.stringify(r.text.slice(0, 60))}`,
    );
  assert.deepEqual(wrong, [], `expected ${expected} for every input`);
}

export function uniqueStatuses(results: Exchange[]): string {
  return [...new Set(results.map((r) => (r.timedOut ? 'timeout' : String(r.status))))].join(',');
}
