// Profile the daemon's data path: `node --import tsx test/bench/profile.ts [count]` starts the
// bench daemon under --cpu-prof, sends `count` small plain-HTTP requests (sequential, kept
// alive) and 100 KB intercepted HTTPS requests, stops it, and prints the self time per
// function of each thread's profile (main thread and audit writer), busiest first.
// WARDEN_PROFILE_GOVERN=1 adds the same requests while governing at 50/s (governance.ts),
// WARDEN_PROFILE_INTERCEPT=1 a 5 s run of intercepted HTTPS, WARDEN_PROFILE_FORWARD=1 a 5 s
// run of forwarded 100 KB plain HTTP over 16 connections.
// Profiles land in $WARDEN_PROFILE_DIR (default: a temporary directory, printed).

import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { benchUnderGovernance } from './governance.ts';
import type { LatencyResult, ThroughputResult } from './load.ts';
import { httpsRates, startProxyBench, stopProxyBench } from './proxy-context.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time per function (µs) of one .cpuprofile, and the profile's total. */
export function selfTimes(profile: Profile): { total: number; rows: Array<[string, number]> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const f = node.callFrame;
    const file = f.url ? path.basename(f.url.replace(/^file:\/\//, '')) : '';
    const key = `${f.functionName || '(anonymous)'} ${file}${file ? `:${f.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]);
  return { total: profile.endTime - profile.startTime, rows };
}

if (process.argv[1]?.endsWith('profile.ts')) {
  const count = Number(process.argv[2] ?? 20_000);
  const dir = process.env.WARDEN_PROFILE_DIR ?? (await mkdtemp(path.join(os.tmpdir(), 'warden-prof-')));
  process.env.WARDEN_BENCH_DAEMON_FLAGS = `--cpu-prof --cpu-prof-dir=${dir}`;
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const ctx = await startProxyBench(log);
  try {
    const url = `http://127.0.0.1:${ctx.up.httpPort}/small`;
    const [lat] = await ctx.load.run<LatencyResult[]>({
      kind: 'latency',
      url,
      targets: [{ via: { kind: 'forward', proxy: ctx.plain.url } }],
      warmup: 500,
      count,
    });
    log(`plain: ${count} requests, p50 ${lat!.p50.toFixed(3)} ms, p99 ${lat!.p99.toFixed(3)} ms`);
    if (process.env.WARDEN_PROFILE_GOVERN) {
      const [g] = await benchUnderGovernance(ctx, count);
      log(`governing: ${g?.value} ms added p99 (${g?.note})`);
    }
    if (process.env.WARDEN_PROFILE_FORWARD) {
      // 100 KB plain-HTTP responses over 16 kept-alive connections, forwarded (the peers case).
      const [r] = await ctx.load.run<ThroughputResult[]>({
        kind: 'throughput',
        url: `http://127.0.0.1:${ctx.up.httpPort}/bytes/${100 * 1024}`,
        targets: [{ via: { kind: 'forward', proxy: ctx.plain.url }, ms: 5000 }],
        connections: 16,
        rounds: 1,
        bytes: 100 * 1024,
      });
      log(`forward 100 KB: ${(r as ThroughputResult).perSecond.toFixed(0)}/s`);
    }
    if (process.env.WARDEN_PROFILE_INTERCEPT) {
      const [r] = await httpsRates(ctx, [
        { via: { kind: 'tunnel', proxy: ctx.intercept.url }, ca: ctx.daemon.caPem, ms: 5000 },
      ]);
      log(`intercepted: ${(r as ThroughputResult).perSecond.toFixed(0)}/s`);
    }
  } finally {
    await stopProxyBench(ctx);
  }
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const { total, rows } = selfTimes(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Profile);
    const busy = rows.filter(([k]) => !k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
    console.log(`\n${file}: ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(2)} s`);
    for (const [k, v] of rows.slice(0, 40)) console.log(`  ${(v / 1000).toFixed(1).padStart(9)} ms  ${k}`);
  }
  console.log(`\nprofiles in ${dir}`);
}
