// The daemon's curves (part of `--only=curves`): throughput with 1, 10 and 50 listeners
// loaded at once, one 1 GiB CONNECT stream against direct, and the daemon's RSS as the
// requests add up (flat, or the slope says how much it grows).

import { cpuMsOf, rssOf } from './bench-daemon.ts';
import { type Figure, round } from './figures.ts';
import type { DownloadResult, ThroughputResult } from './load.ts';
import { type ProxyBenchContext, startProxyBench, stopProxyBench } from './proxy-context.ts';

/** Small GETs forwarded through `proxies` at once, `perProxy` connections each, for `ms`. */
async function forwardLoad(
  ctx: ProxyBenchContext,
  proxies: string[],
  url: string,
  perProxy: number,
  ms: number,
) {
  const results = await ctx.load.run<ThroughputResult[]>({
    kind: 'throughput',
    url,
    targets: proxies.map((proxy) => ({ via: { kind: 'forward', proxy }, ms })),
    connections: perProxy,
    rounds: 1,
    bytes: 2,
    together: true,
  });
  const requests = results.reduce((n, r) => n + r.requests, 0);
  return { perSecond: requests / (ms / 1000), errors: results.reduce((n, r) => n + r.errors, 0) };
}

async function listenerCurve(ctx: ProxyBenchContext, ms: number): Promise<Figure[]> {
  const url = `http://127.0.0.1:${ctx.up.httpPort}/small`;
  const proxies = [ctx.plain.url];
  const figures: Figure[] = [];
  let one = Number.NaN;
  for (const k of [1, 10, 50]) {
    while (proxies.length < k)
      proxies.push(
        (await ctx.daemon.listener(`curve-${proxies.length}`, '- match: 127.0.0.1\n  action: allow')).url,
      );
    const perProxy = Math.max(1, Math.floor(16 / k));
    const r = await forwardLoad(ctx, proxies, url, perProxy, ms);
    if (k === 1) one = r.perSecond;
    ctx.log(
      `  ${k} listeners, ${perProxy * k} connections: ${r.perSecond.toFixed(0)} req/s, ${r.errors} errors`,
    );
    figures.push({
      section: 'curves',
      name: `throughput with ${k} listener${k > 1 ? 's' : ''} loaded at once, small GETs`,
      value: round(r.perSecond, 0),
      unit: 'req/s',
      ...(k > 1
        ? {
            direct: round(one, 0),
            directUnit: 'req/s (1 listener)',
            ratio: r.perSecond / one,
            versus: '1 listener',
          }
        : {}),
      note: `${perProxy * k} kept-alive connections in all (${perProxy} per listener), ${ms / 1000} s; ${r.errors} errors; the load generator's connections opened before timing`,
    });
  }
  return figures;
}

export async function longTunnel(ctx: ProxyBenchContext): Promise<Figure> {
  const bytes = 1024 * 1024 * 1024;
  const url = `https://127.0.0.1:${ctx.up.httpsPort}/bytes/${bytes}`;
  const run = async (via: { kind: 'direct' } | { kind: 'tunnel'; proxy: string }) =>
    (await ctx.load.run<DownloadResult>({ kind: 'download', url, via, ca: [ctx.up.caPem], bytes, runs: 1 }))
      .median;
  await run({ kind: 'direct' }); // the upstream builds its 1 GiB body once
  // The daemon's CPU per GiB tunnelled: what the relay costs, whatever else loads the machine.
  const cpu: number[] = [];
  const viaTunnel = async () => {
    const before = cpuMsOf(ctx.daemon.pid);
    const rate = await run({ kind: 'tunnel', proxy: ctx.plain.url });
    cpu.push(cpuMsOf(ctx.daemon.pid) - before);
    return rate;
  };
  const direct = [await run({ kind: 'direct' })];
  const tunnel = [await viaTunnel()];
  direct.push(await run({ kind: 'direct' }));
  tunnel.push(await viaTunnel());
  const d = Math.max(...direct);
  const t = Math.max(...tunnel);
  ctx.log(
    `  1 GiB: direct ${direct.map((x) => x.toFixed(0)).join('/')} MB/s, tunnel ${tunnel.map((x) => x.toFixed(0)).join('/')} MB/s; daemon CPU ${cpu.join('/')} ms`,
  );
  return {
    section: 'curves',
    name: 'one CONNECT stream of 1 GiB (spliced) vs direct',
    value: round(t, 0),
    unit: 'MB/s',
    direct: round(d, 0),
    directUnit: 'MB/s',
    ratio: t / d,
    goal: { op: '>=', target: 0.9, on: 'ratio' },
    note: `best of 2 each, alternating; the daemon's CPU per GiB tunnelled ${cpu.join(' / ')} ms`,
  };
}

/** At most this many windows, whatever the request target (a bound on the loop). */
const MAX_RSS_WINDOWS = 2000;

/**
 * RSS after each window of small forwarded GETs: `windows` windows, or, with `untilRequests`
 * (the opt-in 1M run, `--rss-requests=1000000`), as many as it takes to reach that count.
 */
async function rssCurve(
  ctx: ProxyBenchContext,
  windows: number,
  ms: number,
  untilRequests?: number,
): Promise<Figure> {
  const url = `http://127.0.0.1:${ctx.up.httpPort}/small`;
  let total = 0;
  const points: Array<{ requests: number; rssMiB: number }> = [];
  const more = (w: number) => (untilRequests ? total < untilRequests && w < MAX_RSS_WINDOWS : w < windows);
  for (let w = 0; more(w); w++) {
    const [r] = await ctx.load.run<ThroughputResult[]>({
      kind: 'throughput',
      url,
      targets: [{ via: { kind: 'forward', proxy: ctx.plain.url }, ms }],
      connections: 16,
      rounds: 1,
      bytes: 2,
    });
    total += r?.requests ?? 0;
    points.push({ requests: total, rssMiB: rssOf(ctx.daemon.pid) / 2 ** 20 });
    if (untilRequests) ctx.log(`  RSS after ${total} requests: ${points.at(-1)!.rssMiB.toFixed(1)} MiB`);
  }
  ctx.log(`  RSS: ${points.map((p) => `${p.requests}: ${p.rssMiB.toFixed(0)} MiB`).join(', ')}`);
  // Growth from the second window on (the first warms caches and pools).
  const a = points[1] ?? points[0]!;
  const b = points[points.length - 1]!;
  const perMillion = ((b.rssMiB - a.rssMiB) / Math.max(1, b.requests - a.requests)) * 1e6;
  return {
    section: 'curves',
    name: `daemon RSS growth per 1M requests (after ${total.toLocaleString('en-US')} requests)`,
    value: round(perMillion, 1),
    unit: 'MiB',
    note: `RSS after each window: ${points.map((p) => `${p.requests.toLocaleString('en-US')} → ${p.rssMiB.toFixed(0)} MiB`).join('; ')} (${total >= 1e6 ? 'a run past 1M' : 'a shorter run than 1M: --rss-requests=1000000 for the full run'}; the slope is from window 2 on)`,
  };
}

export async function benchDaemonCurves(opts: {
  log: (l: string) => void;
  listenerMs?: number;
  rssWindows?: number;
  rssWindowMs?: number;
  /** Run the RSS curve until this many requests (opt-in: 1M takes several minutes). */
  rssRequests?: number;
  /** Only the RSS curve. */
  rssOnly?: boolean;
}): Promise<Figure[]> {
  const ctx = await startProxyBench(opts.log);
  const figures: Figure[] = [];
  try {
    if (!opts.rssOnly) {
      opts.log('curves: listeners');
      figures.push(...(await listenerCurve(ctx, opts.listenerMs ?? 5000)));
      opts.log('curves: 1 GiB CONNECT stream');
      figures.push(await longTunnel(ctx));
    }
    opts.log('curves: RSS as requests add up');
    figures.push(await rssCurve(ctx, opts.rssWindows ?? 6, opts.rssWindowMs ?? 10_000, opts.rssRequests));
  } finally {
    await stopProxyBench(ctx);
  }
  return figures;
}

// `node --import tsx test/bench/curves-daemon.ts --rss-requests=1000000`: the RSS curve alone.
if (process.argv[1]?.endsWith('curves-daemon.ts')) {
  const arg = process.argv.find((a) => a.startsWith('--rss-requests='));
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const rssRequests = arg ? Number(arg.split('=')[1]) : undefined;
  for (const f of await benchDaemonCurves({ log, rssRequests, rssOnly: true }))
    console.log(`${f.name}: ${f.value} ${f.unit} (${f.note})`);
}
