// `npm run bench -- --only=peers`: Warden beside squid (forward proxy, CONNECT) and mitmproxy
// (TLS interception) in the same run, against one nginx upstream, graded on the ratios:
// forward HTTP and CONNECT ≥ squid, interception ≥ 2× mitmproxy, small-GET added p50 ≤
// squid's and p99 ≤ 5 ms. Peers missing from PATH are installed with apt-get when this runs
// as root (WARDEN_BENCH_NO_INSTALL=1 to only name them); a peer that is still missing makes
// its cases say so, unmet (not a pass). A bare Node forward proxy (node-floor-proxy.ts) runs beside them,
// not graded: what Node's HTTP machinery alone costs, in the same windows.

import { execFileSync } from 'node:child_process';
import type { BenchUpstreams } from './bench-upstreams.ts';
import { type Figure, round } from './figures.ts';
import type { LatencyResult, ThroughputResult, Via } from './load.ts';
import { startNginxUpstream } from './nginx-upstream.ts';
import { cpuMsOf, findBinary, type Peer, startMitmproxy, startNodeFloor, startSquid } from './peers.ts';
import { type ProxyBenchContext, startProxyBench, stopProxyBench } from './proxy-context.ts';

const forward = (proxy: string): Via => ({ kind: 'forward', proxy });
const tunnel = (proxy: string): Via => ({ kind: 'tunnel', proxy });

const SECTION = 'peers (graded, same run)';
const PACKAGES: Record<string, string> = { squid: 'squid', mitmdump: 'mitmproxy', nginx: 'nginx-light' };

/** The peers' binaries, installing the missing ones with apt-get when allowed. */
export function findOrInstallPeers(notes: string[]): Record<string, string | undefined> {
  const find = () => Object.fromEntries(Object.keys(PACKAGES).map((b) => [b, findBinary(b)]));
  let found = find();
  const missing = Object.keys(PACKAGES).filter((b) => !found[b]);
  if (missing.length === 0) return found;
  const packages = missing.map((b) => PACKAGES[b] as string);
  const canInstall =
    process.getuid?.() === 0 && findBinary('apt-get') && !process.env.WARDEN_BENCH_NO_INSTALL;
  if (canInstall) {
    try {
      execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
        stdio: 'ignore',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: 600_000,
      });
    } catch (error) {
      notes.push(
        `peers: apt-get install ${packages.join(' ')} failed: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    found = find();
  }
  for (const b of missing.filter((x) => !found[x]))
    notes.push(`peers: ${b} is not installed (apt-get install ${PACKAGES[b]}); its cases are not measured`);
  return found;
}

interface Case {
  name: string;
  unit: string;
  warden: number;
  peer: { name: string; value: number } | { name: string; missing: string };
  /** Warden ÷ peer must be ≥ this (or ≤ when `lower`). */
  target: number;
  lower?: boolean;
  note: string;
}

function graded(c: Case): Figure {
  const base = {
    section: SECTION,
    name: c.name,
    unit: c.unit,
    goal: { op: c.lower ? '<=' : '>=', target: c.target, on: 'ratio' } as const,
  };
  if ('missing' in c.peer)
    return { ...base, value: Number.NaN, text: `not measured: ${c.peer.missing}`, note: c.note };
  return {
    ...base,
    value: round(c.warden, c.unit === 'ms' ? 3 : 0),
    direct: round(c.peer.value, c.unit === 'ms' ? 3 : 0),
    directUnit: `${c.unit} (${c.peer.name})`,
    versus: c.peer.name,
    ratio: c.warden / c.peer.value,
    note: c.note,
  };
}

/** Rates of several ways to one URL, 16 kept-alive connections each, interleaved in 4 windows. */
/** Untimed load per target before a rate's windows: proxies are compared at their steady state. */
const WARMUP_MS = 1000;

async function rates(
  ctx: ProxyBenchContext,
  url: string,
  targets: Array<{ via: Via; ca?: string }>,
  ms: number,
) {
  return ctx.load.run<ThroughputResult[]>({
    kind: 'throughput',
    url,
    targets: targets.map((t) => ({ via: t.via, ...(t.ca ? { ca: [t.ca] } : {}), ms })),
    connections: 16,
    rounds: 4,
    bytes: 100 * 1024,
    warmupMs: WARMUP_MS,
  });
}

export async function benchPeersGraded(
  opts: { log?: (l: string) => void; ms?: number; latencyCount?: number } = {},
): Promise<{ figures: Figure[]; notes: string[] }> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const ms = opts.ms ?? 4000;
  const notes: string[] = [];
  const bin = findOrInstallPeers(notes);
  let up: BenchUpstreams | undefined;
  if (bin.nginx) up = await startNginxUpstream(bin.nginx);
  else notes.push('peers: nginx missing: the Node upstream serves instead (slower; ratios compress)');
  const ctx = await startProxyBench(log, up);
  const peers: Peer[] = [];
  const figures: Figure[] = [];
  try {
    const squid = bin.squid ? await startSquid(bin.squid) : undefined;
    const mitm = bin.mitmdump ? await startMitmproxy(bin.mitmdump, ctx.up.caFile) : undefined;
    // Not graded: Node's HTTP machinery alone, so the gap to squid can be split into Node's and Warden's.
    const floor = await startNodeFloor().catch((error: Error) => {
      notes.push(`peers: the bare Node proxy did not start: ${error.message}`);
      return undefined;
    });
    if (squid) peers.push(squid);
    if (mitm) peers.push(mitm);
    if (floor) peers.push(floor);
    const floorVia = floor ? [{ via: forward(floor.url) }] : [];
    const missing = (name: string) => ({ name, missing: `${name} is not installed` });
    const { up: u } = ctx;
    const direct: Via = { kind: 'direct' } as Via;
    const http100 = `http://127.0.0.1:${u.httpPort}/bytes/102400`;
    const https100 = `https://127.0.0.1:${u.httpsPort}/bytes/102400`;

    // CPU each forward proxy spends, read around a job: each serves only its own target's requests.
    const pids = [ctx.daemon.pid, squid?.pid, floor?.pid];
    const cpuNow = () => pids.map(cpuMsOf);
    log('peers: forward HTTP, 100 KB');
    const fwdCpu = cpuNow();
    const fwd = await rates(
      ctx,
      http100,
      [{ via: direct }, { via: forward(ctx.plain.url) }]
        .concat(squid ? [{ via: forward(squid.url) }] : [])
        .concat(floorVia),
      ms,
    );
    const fwdCpuUsed = cpuNow().map((ms, i) => ms - (fwdCpu[i] as number));
    log('peers: CONNECT tunnel, 100 KB over TLS');
    const tun = await rates(
      ctx,
      https100,
      [
        { via: direct, ca: u.caPem },
        { via: tunnel(ctx.plain.url), ca: u.caPem },
      ].concat(squid ? [{ via: tunnel(squid.url), ca: u.caPem }] : []),
      ms,
    );
    log('peers: TLS interception, 100 KB');
    const mitmRates = await rates(
      ctx,
      https100,
      [
        { via: direct, ca: u.caPem },
        { via: tunnel(ctx.intercept.url), ca: ctx.daemon.caPem },
      ].concat(mitm?.interceptCa ? [{ via: tunnel(mitm.url), ca: mitm.interceptCa }] : []),
      ms,
    );
    log('peers: small GET latency');
    const count = opts.latencyCount ?? 2000;
    const latCpu = cpuNow();
    const lat = await ctx.load.run<LatencyResult[]>({
      kind: 'latency',
      url: `http://127.0.0.1:${u.httpPort}/small`,
      targets: [{ via: direct }, { via: forward(ctx.plain.url) }]
        .concat(squid ? [{ via: forward(squid.url) }] : [])
        .concat(floorVia),
      warmup: 500,
      count,
    });
    const latCpuUsed = cpuNow().map((ms, i) => ms - (latCpu[i] as number));
    const perS = (r: ThroughputResult | undefined) => r?.perSecond ?? Number.NaN;
    const errs = (rs: ThroughputResult[]) => rs.map((r) => r.errors).join('/');
    const rateNote = (rs: ThroughputResult[], who: string) =>
      `16 connections, ${Math.round(ms / 1000)} s each in 4 interleaved windows after ${WARMUP_MS / 1000} s of untimed load each; direct ${perS(rs[0]).toFixed(0)}/s; errors direct/Warden/${who} ${errs(rs)}`;
    figures.push(
      graded({
        name: 'forward HTTP, 100 KB: Warden vs squid',
        unit: 'req/s',
        warden: perS(fwd[1]),
        peer: squid ? { name: 'squid', value: perS(fwd[2]) } : missing('squid'),
        target: 1,
        note: rateNote(fwd, 'squid'),
      }),
      graded({
        name: 'CONNECT tunnel, 100 KB over TLS: Warden vs squid',
        unit: 'req/s',
        warden: perS(tun[1]),
        peer: squid ? { name: 'squid', value: perS(tun[2]) } : missing('squid'),
        target: 1,
        note: rateNote(tun, 'squid'),
      }),
      graded({
        name: 'TLS interception, 100 KB: Warden vs mitmproxy',
        unit: 'req/s',
        warden: perS(mitmRates[1]),
        peer: mitm ? { name: 'mitmproxy', value: perS(mitmRates[2]) } : missing('mitmproxy'),
        target: 2,
        note: rateNote(mitmRates, 'mitmproxy'),
      }),
    );
    const [d, w, s] = lat as [LatencyResult, LatencyResult, LatencyResult | undefined];
    // The bare Node proxy's results come last (after squid's, when squid runs).
    const floorLat = floor ? lat[lat.length - 1] : undefined;
    const floorFwd = floor ? fwd[fwd.length - 1] : undefined;
    const latNote = `${count} sequential requests each on one kept-alive connection, interleaved in blocks of 100; direct p50 ${d.p50.toFixed(3)} / p99 ${d.p99.toFixed(3)} ms`;
    figures.push(
      graded({
        name: 'small GET added latency p50: Warden vs squid',
        unit: 'ms',
        warden: w.p50 - d.p50,
        peer: s ? { name: 'squid', value: s.p50 - d.p50 } : missing('squid'),
        target: 1,
        lower: true,
        note: latNote,
      }),
      {
        section: SECTION,
        name: 'small GET added latency p99 (Warden)',
        value: round(w.p99 - d.p99, 3),
        unit: 'ms',
        goal: { op: '<=', target: 5, on: 'value' },
        ...(s ? { direct: round(s.p99 - d.p99, 3), directUnit: 'ms (squid)' } : {}),
        note: latNote,
      },
    );
    if (floorLat && floorFwd)
      figures.push(
        {
          section: SECTION,
          name: 'small GET added latency p50: bare Node proxy (reference)',
          value: round(floorLat.p50 - d.p50, 3),
          unit: 'ms',
          note: `${latNote}; Node's http server and client piped, no policy or audit (node-floor-proxy.ts); Warden ${round(w.p50 - d.p50, 3)} ms`,
        },
        {
          section: SECTION,
          name: 'forward HTTP, 100 KB: bare Node proxy (reference)',
          value: round(perS(floorFwd), 0),
          unit: 'req/s',
          note: `same windows as Warden and squid; Warden ${perS(fwd[1]).toFixed(0)}/s`,
        },
      );
    // µs of CPU per request: Warden, squid, the bare Node proxy (NaN for one not running).
    const fwdRuns = [fwd[1], squid ? fwd[2] : undefined, floorFwd];
    const latRuns = [w, s, floorLat];
    const perRequest = (
      used: number[],
      runs: Array<{ requests?: number; untimed?: number; count?: number } | undefined>,
    ) =>
      used.map((ms, i) => {
        const run = runs[i];
        const n = run
          ? run.requests !== undefined
            ? run.requests + (run.untimed ?? 0)
            : (run.count ?? 0) + 500
          : 0;
        return n > 0 ? (ms * 1000) / n : Number.NaN;
      });
    figures.push(
      cpuFigure('small GET: CPU per request, Warden vs squid', perRequest(latCpuUsed, latRuns)),
      cpuFigure('forward HTTP, 100 KB: CPU per request, Warden vs squid', perRequest(fwdCpuUsed, fwdRuns)),
    );
    for (const f of figures)
      log(
        `  ${f.name}: ${f.text ?? f.value} ${f.unit}${f.direct !== undefined ? ` vs ${f.direct} ${f.directUnit}` : ''}`,
      );
  } catch (error) {
    log(`daemon output:\n${ctx.daemon.output()}`);
    throw error;
  } finally {
    for (const p of peers) await p.stop();
    await stopProxyBench(ctx);
  }
  return { figures, notes };
}

/**
 * Not graded: on two shared cores a proxy's rate follows the CPU it spends per request, so
 * this ratio explains the rate figures; the bare Node proxy's is in the note.
 */
function cpuFigure(name: string, [warden, squid, floor]: number[]): Figure {
  const shown = (v: number | undefined) =>
    v !== undefined && Number.isFinite(v) ? `${v.toFixed(0)} µs` : 'not measured';
  return {
    section: SECTION,
    name,
    value: round(warden ?? Number.NaN, 0),
    unit: 'µs',
    ...(squid !== undefined && Number.isFinite(squid)
      ? { direct: round(squid, 0), directUnit: 'µs (squid)', versus: 'squid', ratio: (warden ?? 0) / squid }
      : {}),
    note: `all threads' user + system CPU (/proc) over the job ÷ the requests each served (warm-up included); bare Node proxy ${shown(floor)}`,
  };
}

if (process.argv[1]?.endsWith('peers-graded.ts')) {
  const { figures, notes } = await benchPeersGraded();
  for (const f of figures) console.log(JSON.stringify(f));
  for (const n of notes) console.log(n);
}
