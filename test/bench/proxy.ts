// Proxy benchmarks: the real daemon (the bundled `warden daemon`, in its own process),
// loopback HTTP/HTTPS upstreams (in this process) and a load generator (test/bench/load.ts,
// a forked child), so generating load never runs on the proxy's event loop. Every proxied
// figure has a direct baseline measured in the same run. When squid or mitmproxy are on
// PATH they are measured the same way, side by side (test/bench/peers.ts).
// The pieces: figures.ts, bench-upstreams.ts, bench-daemon.ts, load-worker.ts, proxy-context.ts.
// Run alone: node --import tsx test/bench/proxy.ts

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fdCountOf, rssOf } from './bench-daemon.ts';
import { type Figure, round } from './figures.ts';
import { benchUnderGovernance } from './governance.ts';
import type { DownloadResult, HoldResult, Job, LatencyResult, ThroughputResult, Via } from './load.ts';
import { benchPeers } from './peers.ts';
import { benchPostIntercept } from './post-intercept.ts';
import {
  benchPlainLatency,
  httpsLatencies,
  httpsRates,
  type ProxyBenchContext,
  startProxyBench,
  stopProxyBench,
} from './proxy-context.ts';

export interface ProxyBenchOptions {
  /** Sequential plain-HTTP requests timed after warm-up. */
  latencyCount?: number;
  /** Size of the tunnel download. */
  downloadBytes?: number;
  downloadRuns?: number;
  /** Intercepted HTTPS: duration of the 16-connection run. */
  interceptMs?: number;
  /** Duration of the baselines and peer runs of the same shape. */
  shortMs?: number;
  holdConnections?: number;
  /** Duration of each peer rate run (and of the direct run paired with it). */
  peerMs?: number;
  /** Progress lines (to stderr by default). */
  log?: (line: string) => void;
  /** Measure squid/mitmproxy when found on PATH (default true). */
  peers?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 1,000 connections through one listener, each with one request, all held open together. */
export async function benchConcurrentConnections(
  ctx: ProxyBenchContext,
  connections = 1000,
): Promise<Figure[]> {
  const { load, daemon, up, plain } = ctx;
  const url = `http://127.0.0.1:${up.httpPort}/small`;
  // Warm the path up, then let the daemon settle before the baseline.
  await load.run<LatencyResult[]>({
    kind: 'latency',
    url,
    targets: [{ via: { kind: 'forward', proxy: plain.url } }],
    warmup: 0,
    count: 300,
  });
  await sleep(1000);
  const rssBefore = rssOf(daemon.pid);
  const fdBefore = fdCountOf(daemon.pid);
  let rssHeld = 0;
  let fdHeld = 0;
  let heldResult: HoldResult | undefined;
  await load.run<{ released: true }>(
    { kind: 'hold', proxy: plain.url, url, connections, timeoutMs: 20_000 },
    (held, release) => {
      const h = held as HoldResult;
      void sleep(500).then(() => {
        rssHeld = rssOf(daemon.pid);
        fdHeld = fdCountOf(daemon.pid);
        ctx.log(
          `  ${connections} connections: ${h.ok} answered and open, ${h.errors} errors${h.firstError ? ` (first: ${h.firstError})` : ''}, in ${Math.round(h.elapsedMs)} ms`,
        );
        heldResult = h;
        release();
      });
    },
  );
  const h = heldResult as HoldResult | undefined;
  if (!h) throw new Error('the hold job ended without reporting');
  const perConnKb = (rssHeld - rssBefore) / connections / 1024;
  return [
    {
      section: 'concurrency',
      name: `${connections} concurrent connections, one request each, held open: errors`,
      value: h.errors,
      unit: 'errors',
      goal: { op: '<=', target: 0, on: 'value' },
      note: `all answered in ${Math.round(h.elapsedMs)} ms; daemon fds +${fdHeld - fdBefore}`,
    },
    {
      section: 'concurrency',
      name: 'daemon memory per open connection (RSS delta / connections)',
      value: round(perConnKb, 1),
      unit: 'KB',
      note: `RSS ${Math.round(rssBefore / 2 ** 20)} → ${Math.round(rssHeld / 2 ** 20)} MB`,
    },
  ];
}

/** A 100 MB HTTPS download through a spliced CONNECT tunnel vs direct. */
export async function benchTunnelThroughput(
  ctx: ProxyBenchContext,
  bytes = 100 * 1024 * 1024,
  runs = 5,
): Promise<Figure[]> {
  const url = `https://127.0.0.1:${ctx.up.httpsPort}/bytes/${bytes}`;
  const job = (via: Via): Job => ({ kind: 'download', url, via, ca: [ctx.up.caPem], bytes, runs });
  // One discarded download each way first (the upstream allocates its body on first use),
  // then alternate so both see the same machine state.
  await ctx.load.run<DownloadResult>({ ...job({ kind: 'direct' }), runs: 1 } as Job);
  await ctx.load.run<DownloadResult>({ ...job({ kind: 'tunnel', proxy: ctx.plain.url }), runs: 1 } as Job);
  const direct: number[] = [];
  const tunnel: number[] = [];
  for (let r = 0; r < runs; r++) {
    direct.push(...(await ctx.load.run<DownloadResult>({ ...job({ kind: 'direct' }), runs: 1 } as Job)).runs);
    tunnel.push(
      ...(
        await ctx.load.run<DownloadResult>({
          ...job({ kind: 'tunnel', proxy: ctx.plain.url }),
          runs: 1,
        } as Job)
      ).runs,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const d = median(direct);
  const t = median(tunnel);
  ctx.log(
    `  100 MB download: direct ${direct.map((x) => x.toFixed(0)).join('/')} MB/s, tunnel ${tunnel.map((x) => x.toFixed(0)).join('/')} MB/s`,
  );
  return [
    {
      section: 'CONNECT tunnel',
      name: `CONNECT tunnel (spliced) throughput, ${Math.round(bytes / 2 ** 20)} MB HTTPS download`,
      value: round(t, 0),
      unit: 'MB/s',
      direct: round(d, 0),
      directUnit: 'MB/s',
      ratio: t / d,
      goal: { op: '>=', target: 0.8, on: 'ratio' },
      note: `median of ${runs}`,
    },
  ];
}

/** TLS-intercepted HTTPS (a path rule forces interception), 100 KB responses. */
export async function benchIntercept(
  ctx: ProxyBenchContext,
  opts: { durationMs?: number; baselineMs?: number; latencyCount?: number } = {},
): Promise<Figure[]> {
  const { durationMs = 10_000, baselineMs = 5000, latencyCount = 1000 } = opts;
  const mitm: Via = { kind: 'tunnel', proxy: ctx.intercept.url };
  const direct: Via = { kind: 'direct' };
  const [directLat, mitmLat] = (await httpsLatencies(
    ctx,
    [
      { via: direct, ca: ctx.up.caPem },
      { via: mitm, ca: ctx.daemon.caPem },
    ],
    latencyCount,
  )) as [LatencyResult, LatencyResult];
  ctx.log(
    `  intercepted 100 KB on one connection: direct p50 ${directLat.p50.toFixed(3)} ms, intercepted p50 ${mitmLat.p50.toFixed(3)} ms (p99 ${mitmLat.p99.toFixed(3)})`,
  );
  const [directRate, rate, spliced] = (await httpsRates(ctx, [
    { via: direct, ca: ctx.up.caPem, ms: baselineMs },
    { via: mitm, ca: ctx.daemon.caPem, ms: durationMs },
    { via: { kind: 'tunnel', proxy: ctx.plain.url }, ca: ctx.up.caPem, ms: baselineMs },
  ])) as [ThroughputResult, ThroughputResult, ThroughputResult];
  ctx.log(
    `  100 KB over 16 connections: direct ${directRate.perSecond.toFixed(0)}/s, intercepted ${rate.perSecond.toFixed(0)}/s (${rate.errors} errors), spliced ${spliced.perSecond.toFixed(0)}/s`,
  );
  return [
    {
      section: 'TLS interception',
      name: 'TLS-intercepted HTTPS, 100 KB responses, 16 kept-alive connections',
      value: round(rate.perSecond, 0),
      unit: 'req/s',
      direct: round(directRate.perSecond, 0),
      directUnit: 'req/s',
      ratio: rate.perSecond / directRate.perSecond,
      goal: { op: '>=', target: 500, on: 'value' },
      note: `${Math.round(durationMs / 1000)} s (direct ${Math.round(baselineMs / 1000)} s), in 5 interleaved windows; ${rate.errors} errors`,
    },
    {
      section: 'TLS interception',
      name: 'TLS-intercepted HTTPS, 100 KB, one kept-alive connection: added p50',
      value: round(mitmLat.p50 - directLat.p50, 3),
      unit: 'ms',
      direct: round(directLat.p50, 3),
      directUnit: 'ms',
      ratio: mitmLat.p50 / directLat.p50,
      goal: { op: '<=', target: 3, on: 'value' },
      note: `${latencyCount} sequential requests each, after 200 warm-up, interleaved with direct; added p99 ${round(mitmLat.p99 - directLat.p99, 2)} ms`,
    },
    {
      section: 'TLS interception',
      name: 'CONNECT tunnel (spliced) HTTPS, 100 KB responses, 16 kept-alive connections',
      value: round(spliced.perSecond, 0),
      unit: 'req/s',
      direct: round(directRate.perSecond, 0),
      directUnit: 'req/s',
      ratio: spliced.perSecond / directRate.perSecond,
      note: `${Math.round(baselineMs / 1000)} s, interleaved with the above; for comparison with squid`,
    },
  ];
}

/** Every proxy benchmark, in an order that keeps the memory baseline clean. */
export async function benchProxy(
  opts: ProxyBenchOptions = {},
): Promise<{ figures: Figure[]; notes: string[] }> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const ctx = await startProxyBench(log);
  const figures: Figure[] = [];
  const notes: string[] = [];
  try {
    log('proxy: concurrent connections');
    figures.push(...(await benchConcurrentConnections(ctx, opts.holdConnections ?? 1000)));
    log('proxy: plain HTTP latency');
    figures.push(...(await benchPlainLatency(ctx, opts.latencyCount ?? 3000)));
    log('proxy: plain HTTP latency while governing at 50/s');
    figures.push(...(await benchUnderGovernance(ctx, opts.latencyCount ?? 3000)));
    log('proxy: CONNECT tunnel throughput');
    figures.push(...(await benchTunnelThroughput(ctx, opts.downloadBytes, opts.downloadRuns)));
    log('proxy: TLS interception');
    figures.push(
      ...(await benchIntercept(ctx, {
        durationMs: opts.interceptMs ?? 10_000,
        baselineMs: opts.shortMs ?? 5000,
      })),
    );
    log('proxy: POST bodies through TLS interception');
    figures.push(...(await benchPostIntercept(ctx)));
    if (opts.peers !== false) {
      log('proxy: peers');
      const peers = await benchPeers(ctx, opts.peerMs ?? 4000);
      figures.push(...peers.figures);
      notes.push(...peers.notes);
    }
  } catch (error) {
    log(`daemon output:\n${ctx.daemon.output()}`);
    throw error;
  } finally {
    await stopProxyBench(ctx);
  }
  return { figures, notes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { figures, notes } = await benchProxy();
  for (const f of figures) console.log(`${f.name.padEnd(90)} ${f.value} ${f.unit}`);
  for (const n of notes) console.log(n);
}
