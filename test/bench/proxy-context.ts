// What every proxy benchmark runs against (loopback upstreams, the daemon with two governed
// listeners, the forked load generator), and the measurements that Warden and the peers
// (test/bench/peers.ts) share: plain-HTTP latency, HTTPS request rates and latencies.

import { type BenchDaemon, startBenchDaemon } from './bench-daemon.ts';
import { type BenchUpstreams, startBenchUpstreams } from './bench-upstreams.ts';
import { type Figure, round } from './figures.ts';
import type { LatencyResult, ThroughputResult, Via } from './load.ts';
import { LoadWorker } from './load-worker.ts';

const BODY_100K = 100 * 1024;
export const PEERS = 'peers (for comparison, not graded)';

export interface ProxyBenchContext {
  up: BenchUpstreams;
  daemon: BenchDaemon;
  load: LoadWorker;
  /** Listener with a host-level allow of 127.0.0.1: plain HTTP forwarded, CONNECT spliced. */
  plain: { url: string; port: number };
  /** Listener with a path rule on 127.0.0.1: every CONNECT is intercepted. */
  intercept: { url: string; port: number };
  log: (line: string) => void;
}

/** The daemon, its two listeners and the load generator, against `upstreams` (default: Node's). */
export async function startProxyBench(
  log: (line: string) => void,
  upstreams?: BenchUpstreams,
): Promise<ProxyBenchContext> {
  const up = upstreams ?? (await startBenchUpstreams());
  const daemon = await startBenchDaemon(up.caFile).catch(async (e) => {
    await up.close();
    throw e;
  });
  const load = new LoadWorker();
  const plain = await daemon.listener('bench-plain', '- match: 127.0.0.1\n  action: allow');
  const intercept = await daemon.listener(
    'bench-intercept',
    '- match: 127.0.0.1\n  paths: ["/**"]\n  action: allow',
  );
  log(`daemon pid ${daemon.pid}; upstreams http :${up.httpPort} https :${up.httpsPort}`);
  return { up, daemon, load, plain, intercept, log };
}

export async function stopProxyBench(ctx: ProxyBenchContext): Promise<void> {
  await ctx.load.stop();
  await ctx.daemon.stop();
  await ctx.up.close();
}

/** Added latency of a governed plain-HTTP request, kept-alive, sequential. */
export async function benchPlainLatency(
  ctx: ProxyBenchContext,
  count = 3000,
  via: Via = { kind: 'forward', proxy: ctx.plain.url },
  label = 'Warden',
): Promise<Figure[]> {
  const url = `http://127.0.0.1:${ctx.up.httpPort}/small`;
  // Direct and proxied requests interleaved in blocks of 100.
  const [direct, proxied] = (await ctx.load.run<LatencyResult[]>({
    kind: 'latency',
    url,
    targets: [{ via: { kind: 'direct' } }, { via }],
    warmup: 500,
    count,
  })) as [LatencyResult, LatencyResult];
  ctx.log(
    `  plain HTTP via ${label}: direct p50 ${direct.p50.toFixed(3)} / p99 ${direct.p99.toFixed(3)} ms; proxied p50 ${proxied.p50.toFixed(3)} / p99 ${proxied.p99.toFixed(3)} ms; errors ${proxied.errors}`,
  );
  const section = label === 'Warden' ? 'plain HTTP' : PEERS;
  const errors = proxied.errors + direct.errors;
  const note = `${count} sequential requests each, after 500 warm-up, interleaved with direct in blocks of 100${errors ? `; ${errors} errors` : ''}`;
  return [
    {
      section,
      name: `${label}: added latency, plain HTTP, kept-alive, p50`,
      value: round(proxied.p50 - direct.p50, 3),
      unit: 'ms',
      direct: round(direct.p50, 3),
      directUnit: 'ms',
      ratio: proxied.p50 / direct.p50,
      goal: label === 'Warden' ? { op: '<=', target: 1, on: 'value' } : undefined,
      note,
    },
    {
      section,
      name: `${label}: added latency, plain HTTP, kept-alive, p99`,
      value: round(proxied.p99 - direct.p99, 3),
      unit: 'ms',
      direct: round(direct.p99, 3),
      directUnit: 'ms',
      ratio: proxied.p99 / direct.p99,
      goal: label === 'Warden' ? { op: '<=', target: 5, on: 'value' } : undefined,
    },
  ];
}

const HTTPS_100K = (ctx: ProxyBenchContext) => `https://127.0.0.1:${ctx.up.httpsPort}/bytes/${BODY_100K}`;

/**
 * 100 KB HTTPS responses over 16 kept-alive connections per target: requests/s. The
 * targets take turns in `rounds` windows, so background load on the machine hits them alike.
 */
export async function httpsRates(
  ctx: ProxyBenchContext,
  targets: Array<{ via: Via; ca: string; ms: number }>,
  rounds = 5,
): Promise<ThroughputResult[]> {
  return ctx.load.run<ThroughputResult[]>({
    kind: 'throughput',
    url: HTTPS_100K(ctx),
    targets: targets.map((t) => ({ via: t.via, ca: [t.ca], ms: t.ms })),
    connections: 16,
    rounds,
    bytes: BODY_100K,
  });
}

/** 100 KB HTTPS responses, sequential on one kept-alive connection per target, interleaved. */
export async function httpsLatencies(
  ctx: ProxyBenchContext,
  targets: Array<{ via: Via; ca: string }>,
  count: number,
): Promise<LatencyResult[]> {
  return ctx.load.run<LatencyResult[]>({
    kind: 'latency',
    url: HTTPS_100K(ctx),
    targets: targets.map((t) => ({ via: t.via, ca: [t.ca] })),
    warmup: 200,
    count,
  });
}
