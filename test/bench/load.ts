// The load generator of the proxy benchmarks, run as a child process (forked by
// test/bench/proxy.ts) so that generating load never competes with the proxy for its
// event loop. It takes jobs over IPC, one at a time, and answers with figures.
// Clients are undici (HTTP) and raw sockets (the many-connections test).

import net from 'node:net';
import { Agent, Client, type Dispatcher, ProxyAgent } from 'undici';

/** How a request reaches its upstream. */
export type Via =
  | { kind: 'direct' }
  /** Plain HTTP forward proxying: absolute-form request line to the proxy. */
  | { kind: 'forward'; proxy: string }
  /** CONNECT tunnel through the proxy (then TLS inside for https URLs). */
  | { kind: 'tunnel'; proxy: string };

/** One way of reaching the URL, with the CAs the client trusts on it (for https URLs). */
export interface Target {
  via: Via;
  ca?: string[];
}

/**
 * Sequential requests on one kept-alive connection per target. Targets are interleaved in
 * blocks, so a change in the machine's background load hits all of them alike.
 */
export interface LatencyJob {
  kind: 'latency';
  url: string;
  targets: Target[];
  warmup: number;
  /** Timed requests per target. */
  count: number;
  /** Requests per block before switching target. */
  block?: number;
}

/**
 * Requests over `connections` kept-alive connections per target, for `ms` per target in
 * total, in `rounds` interleaved windows.
 */
export interface ThroughputJob {
  kind: 'throughput';
  url: string;
  targets: Array<Target & { ms: number }>;
  connections: number;
  rounds: number;
  /** Expected body size of every response. */
  bytes: number;
  /** Load every target at once in each window (default: one after the other). */
  together?: boolean;
  /**
   * Untimed load per target before the windows (default 0: only one request per
   * connection). A JIT-compiled proxy (Warden, the bare Node one) is measured at its steady
   * state, as a daemon that has been serving runs, not in its first second; every target
   * gets the same warm-up.
   */
  warmupMs?: number;
}

export interface DownloadJob {
  kind: 'download';
  url: string;
  via: Via;
  ca?: string[];
  bytes: number;
  runs: number;
}

export interface HoldJob {
  kind: 'hold';
  /** The proxy URL, with its credential when it has one. */
  proxy: string;
  url: string;
  connections: number;
  timeoutMs: number;
}

export type Job = LatencyJob | ThroughputJob | DownloadJob | HoldJob;

export interface LatencyResult {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  count: number;
  errors: number;
}
export interface ThroughputResult {
  requests: number;
  perSecond: number;
  errors: number;
  elapsedMs: number;
  /** Requests served before the timed windows (the warm-up), not in `requests`. */
  untimed: number;
}
export interface DownloadResult {
  /** MB/s (10^6 bytes) of each run. */
  runs: number[];
  best: number;
  median: number;
}
export interface HoldResult {
  ok: number;
  errors: number;
  firstError?: string;
  /** Time to open every connection and get every answer. */
  elapsedMs: number;
}

type Message = { id: number; job: Job } | { id: number; release: true } | { exit: true };

// ---------------------------------------------------------------------------------------

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** A proxy URL without its user-info, and the Proxy-Authorization the user-info stands for. */
function proxyParts(proxy: string): { origin: string; auth: Record<string, string> } {
  const u = new URL(proxy);
  if (!u.username) return { origin: u.origin, auth: {} };
  const userinfo = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  return {
    origin: u.origin,
    auth: { 'proxy-authorization': `Basic ${Buffer.from(userinfo).toString('base64')}` },
  };
}

/** A dispatcher for `via`, sized to `connections`. The request target is always the full URL. */
function dispatcherFor(url: string, via: Via, ca: string[] | undefined, connections: number): Dispatcher {
  const u = new URL(url);
  if (via.kind === 'forward') {
    if (u.protocol !== 'http:') throw new Error('forward proxying is for http: URLs');
    // Absolute-form requests on kept-alive connections to the proxy itself.
    return connections === 1
      ? new Client(proxyParts(via.proxy).origin, { keepAliveTimeout: 60_000, pipelining: 1 })
      : new Agent({ connections, keepAliveTimeout: 60_000 });
  }
  const tls = ca ? { ca } : undefined;
  if (via.kind === 'tunnel') {
    return new ProxyAgent({
      uri: via.proxy,
      connections,
      keepAliveTimeout: 60_000,
      ...(tls ? { requestTls: tls } : {}),
    });
  }
  return new Agent({ connections, keepAliveTimeout: 60_000, ...(tls ? { connect: tls } : {}) });
}

/** One GET; resolves with the body size. */
async function get(dispatcher: Dispatcher, url: string, via: Via): Promise<number> {
  const u = new URL(url);
  const forward = via.kind === 'forward' ? proxyParts(via.proxy) : undefined;
  const res = await dispatcher.request({
    origin: forward ? forward.origin : u.origin,
    path: forward ? url : `${u.pathname}${u.search}`,
    method: 'GET',
    headers: { host: u.host, ...forward?.auth },
  });
  let size = 0;
  for await (const chunk of res.body) size += (chunk as Buffer).length;
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  return size;
}

async function latency(job: LatencyJob): Promise<LatencyResult[]> {
  const dispatchers = job.targets.map((t) => dispatcherFor(job.url, t.via, t.ca, 1));
  try {
    for (const [i, d] of dispatchers.entries()) {
      for (let k = 0; k < job.warmup; k++) await get(d, job.url, job.targets[i]!.via);
    }
    const times = job.targets.map((): number[] => []);
    const errors = job.targets.map(() => 0);
    const block = job.block ?? 100;
    for (let done = 0; done < job.count; done += block) {
      for (const [i, d] of dispatchers.entries()) {
        const via = job.targets[i]!.via;
        for (let k = 0; k < Math.min(block, job.count - done); k++) {
          const t = performance.now();
          try {
            await get(d, job.url, via);
            times[i]!.push(performance.now() - t);
          } catch {
            errors[i]!++;
          }
        }
      }
    }
    return times.map((ts, i) => {
      ts.sort((a, b) => a - b);
      return {
        p50: percentile(ts, 50),
        p90: percentile(ts, 90),
        p99: percentile(ts, 99),
        mean: ts.reduce((a, b) => a + b, 0) / Math.max(1, ts.length),
        count: ts.length,
        errors: errors[i]!,
      };
    });
  } finally {
    await Promise.all(dispatchers.map((d) => d.close()));
  }
}

async function throughput(job: ThroughputJob): Promise<ThroughputResult[]> {
  const dispatchers = job.targets.map((t) => dispatcherFor(job.url, t.via, t.ca, job.connections));
  try {
    // Warm up: open every connection (and its tunnel and TLS session) before timing.
    for (const [i, d] of dispatchers.entries()) {
      const via = job.targets[i]!.via;
      await Promise.all(Array.from({ length: job.connections }, () => get(d, job.url, via)));
    }
    const totals = job.targets.map(() => ({ requests: 0, errors: 0, elapsedMs: 0 }));
    const window = async (i: number, windowMs: number, total = totals[i]!) => {
      const d = dispatchers[i]!;
      const { via } = job.targets[i]!;
      const start = performance.now();
      const deadline = start + windowMs;
      await Promise.all(
        Array.from({ length: job.connections }, async () => {
          while (performance.now() < deadline) {
            try {
              const size = await get(d, job.url, via);
              if (size === job.bytes) total.requests++;
              else total.errors++;
            } catch {
              total.errors++;
              if (total.errors > 1000) return;
            }
          }
        }),
      );
      total.elapsedMs += performance.now() - start;
    };
    const untimed = job.targets.map(() => ({ requests: job.connections, errors: 0, elapsedMs: 0 }));
    if (job.warmupMs) {
      for (let i = 0; i < dispatchers.length; i++) await window(i, job.warmupMs, untimed[i]);
    }
    const windowMs = (i: number) => job.targets[i]!.ms / job.rounds;
    for (let round = 0; round < job.rounds; round++) {
      if (job.together) await Promise.all(dispatchers.map((_, i) => window(i, windowMs(i))));
      else for (let i = 0; i < dispatchers.length; i++) await window(i, windowMs(i));
    }
    return totals.map((t, i) => ({
      ...t,
      perSecond: (t.requests / t.elapsedMs) * 1000,
      untimed: untimed[i]!.requests,
    }));
  } finally {
    await Promise.all(dispatchers.map((d) => d.close()));
  }
}

async function download(job: DownloadJob): Promise<DownloadResult> {
  const dispatcher = dispatcherFor(job.url, job.via, job.ca, 1);
  try {
    const runs: number[] = [];
    for (let r = 0; r < job.runs; r++) {
      const t = performance.now();
      const size = await get(dispatcher, job.url, job.via);
      const ms = performance.now() - t;
      if (size !== job.bytes) throw new Error(`downloaded ${size} bytes, expected ${job.bytes}`);
      runs.push(size / 1e6 / (ms / 1000));
    }
    const sorted = [...runs].sort((a, b) => a - b);
    return { runs, best: sorted[sorted.length - 1]!, median: percentile(sorted, 50) };
  } finally {
    await dispatcher.close();
  }
}

/**
 * Open `connections` sockets to the proxy at once, send one plain-HTTP request on each and
 * read its answer, then keep them all open until the parent says release.
 */
async function hold(job: HoldJob, released: Promise<void>, report: (r: HoldResult) => void): Promise<void> {
  const sockets: net.Socket[] = [];
  const start = performance.now();
  const host = new URL(job.url).host;
  const proxy = new URL(job.proxy);
  const auth = Object.entries(proxyParts(job.proxy).auth).map(([k, v]) => `${k}: ${v}\r\n`);
  const request = `GET ${job.url} HTTP/1.1\r\nHost: ${host}\r\n${auth.join('')}Connection: keep-alive\r\n\r\n`;
  let firstError: string | undefined;
  const one = () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(Number(proxy.port), proxy.hostname);
      sockets.push(socket);
      let buffer = '';
      const timer = setTimeout(() => finish(false, 'timed out'), job.timeoutMs);
      const finish = (ok: boolean, why?: string) => {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        if (!ok) firstError ??= why;
        resolve(ok);
      };
      socket.setEncoding('latin1');
      socket.on('connect', () => socket.write(request));
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = /^HTTP\/1\.1 (\d{3})/.exec(buffer)?.[1];
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
        if (buffer.length - end - 4 < length) return;
        finish(status === '200', `status ${status}`);
      });
      socket.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message));
      socket.on('close', () => finish(false, 'closed early'));
    });
  const results = await Promise.all(Array.from({ length: job.connections }, one));
  const ok = results.filter(Boolean).length;
  // A socket closed after its answer counts as an error too: they must all stay open.
  const stillOpen = sockets.filter((s) => !s.destroyed).length;
  report({
    ok: Math.min(ok, stillOpen),
    errors: job.connections - Math.min(ok, stillOpen),
    elapsedMs: performance.now() - start,
    ...(firstError ? { firstError } : {}),
  });
  await released;
  for (const s of sockets) s.destroy();
}

// ---------------------------------------------------------------------------------------

if (process.send) {
  const send = (m: unknown) => process.send!(m);
  const releases = new Map<number, () => void>();
  process.on('message', (m: Message) => {
    if ('exit' in m) {
      process.disconnect();
      return;
    }
    if ('release' in m) {
      releases.get(m.id)?.();
      return;
    }
    const { id, job } = m;
    const run = async (): Promise<unknown> => {
      switch (job.kind) {
        case 'latency':
          return latency(job);
        case 'throughput':
          return throughput(job);
        case 'download':
          return download(job);
        case 'hold': {
          const released = new Promise<void>((r) => releases.set(id, r));
          await hold(job, released, (result) => send({ id, result, held: true }));
          return { released: true };
        }
      }
    };
    run().then(
      (result) => send({ id, result }),
      (error: Error) => send({ id, error: error.stack ?? error.message }),
    );
  });
}
