// What-if replay bench (issue 18): a policy change replayed over 1,000,000 recorded requests
// (goal ≤ 5 s), in the daemon's worker threads, beside SQLite alone scanning the same
// records once in the same run (counting them, no decoding, one thread).
// The store is filled as test/bench/audit.ts fills it (AuditStore.appendBatch, its events).
// Run alone: node --import tsx test/bench/whatif.ts   (WHATIF_BENCH_RECORDS=… to resize)

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { WardenEvent } from '../../supervisor/api/events.ts';
import { AuditStore } from '../../supervisor/audit/index.ts';
import { runReplay } from '../../supervisor/replay/index.ts';
import { doc } from '../support/policy.ts';
import { benchEvent } from './audit.ts';
import type { Figure } from './figures.ts';

const HOSTS = Array.from({ length: 50 }, (_, i) => `api${i}.example.com`);

/** Before: every bench host allowed. After: api3 denied, api7 GET only, api11 left to ask. */
function pairs() {
  const before = doc(
    HOSTS.map((h) => ({ match: h, action: 'allow' as const })),
    { default: 'deny' },
  );
  const after = doc(
    [
      { match: 'api3.example.com', action: 'deny' as const },
      { match: 'api7.example.com', methods: ['GET'], action: 'allow' as const },
      ...HOSTS.filter((h) => h !== 'api3.example.com' && h !== 'api11.example.com').map((h) => ({
        match: h,
        action: 'allow' as const,
      })),
    ],
    { default: 'ask' },
  );
  return {
    all: {
      before: [{ layer: 'project' as const, source: 'before.yaml', document: before }],
      after: [{ layer: 'project' as const, source: 'after.yaml', document: after }],
    },
  };
}

export async function benchWhatif(): Promise<Figure[]> {
  const total = Number(process.env.WHATIF_BENCH_RECORDS ?? 1_000_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-whatif-bench-'));
  try {
    const file = path.join(dir, 'audit.db');
    const store = AuditStore.open(file, { durability: 'normal' });
    let requests = 0;
    for (let i = 0; i < total; i += 1000) {
      const events: WardenEvent[] = [];
      for (let k = i; k < Math.min(total, i + 1000); k++) {
        const e = benchEvent(k);
        if (e.type === 'request.decided') requests++;
        events.push(e);
      }
      store.appendBatch(events);
    }
    store.close();

    const t0 = performance.now();
    const db = new Database(file, { readonly: true });
    const counted = db.prepare("SELECT count(*) FROM records WHERE kind = 'request.decided'").pluck().get();
    db.close();
    const aloneMs = performance.now() - t0;
    if (counted !== requests)
      throw new Error(`expected ${requests} request records, SQLite counts ${counted}`);

    const runs: number[] = [];
    let last: Awaited<ReturnType<typeof runReplay>> | undefined;
    for (let run = 0; run < 3; run++) {
      const t = performance.now();
      last = await runReplay({ file, pairs: pairs() });
      runs.push(performance.now() - t);
    }
    if (!last || last.scanned !== requests)
      throw new Error(`the replay read ${last?.scanned} of ${requests}`);
    if (last.differences.length === 0) throw new Error('the bench change flipped nothing');
    const ms = [...runs].sort((a, b) => a - b)[1] as number;
    const note =
      `${requests} request records among ${total}; ${last.differences.length} shapes differ ` +
      `(${last.requestsDiffering} requests); median of 3, runs ${runs.map((r) => Math.round(r)).join('/')} ms; ` +
      `${os.availableParallelism()} cores, load ${os.loadavg()[0]?.toFixed(1)}; direct: SQLite alone counting the same records once`;
    return [
      {
        section: 'whatif',
        name: `replay of a policy change over ${total} records (ms)`,
        value: Math.round(ms),
        unit: 'ms',
        goal: { op: '<=', target: 5000, on: 'value' },
        direct: Math.round(aloneMs),
        directUnit: 'ms',
        ratio: Number((ms / aloneMs).toFixed(2)),
        note,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const f of await benchWhatif())
    console.log(`${f.name}: ${f.value} ms (SQLite alone ${f.direct} ms, ${f.ratio}×) — ${f.note}`);
}
