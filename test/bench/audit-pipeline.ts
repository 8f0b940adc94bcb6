// Batched append as the daemon does it (supervisor/audit/audit-writer.ts): the event loop
// posts a batch per flush, the encoder thread encodes and chains it, the writer thread
// inserts. Measured from the first event taken until the writer has committed the last one
// (and the CPU of every thread of the process meanwhile, which the load of a shared machine
// changes less than the wall time), with `normal` durability (the daemon's default:
// survives kill -9; `durable` is measured one event at a time). Events are request records,
// the ones the daemon batches; they are made before the clock starts, like the direct bench.

import path from 'node:path';
import type { WardenEvent } from '../../supervisor/api/events.ts';
import { AuditWriter } from '../../supervisor/audit/audit-writer.ts';
import { AuditStore } from '../../supervisor/audit/index.ts';
import { prepareWorker } from '../../supervisor/audit/start-worker.ts';

/** Request records of the bench's mix (benchEvent), skipping its other kinds. */
function requests(make: (i: number) => WardenEvent, count: number): WardenEvent[] {
  const out: WardenEvent[] = [];
  for (let i = 0; out.length < count; i++) {
    const event = make(i);
    if (event.type === 'request.decided') out.push(event);
  }
  return out;
}

export async function pipelinedAppend(
  dir: string,
  total: number,
  batch: number,
  make: (i: number) => WardenEvent,
  device: { hostname: string; os: { name: string; type: string; type_id: number } },
  opts: {
    /** Called once everything is committed, while the writer's threads still run (audit-threads.ts). */
    committed?: () => void;
    /** Called when the clock starts, the threads started and the pool made (audit-threads.ts). */
    started?: () => void;
    /**
     * Records written and committed before the clock starts: the daemon's steady state, not the
     * first second of its four isolates (JIT compilation of the hot path, ~1.2 s here).
     */
    warmup?: number;
  } = {},
): Promise<{ rate: number; cpuPerEvent: number; file: string }> {
  const file = path.join(dir, 'pipeline.db');
  // A pool large enough not to sit in the CPU caches, cycled over.
  const pool = requests(make, Math.min(total, 50_000));
  // From sources the writer thread would bundle the checkpoint worker's entry when it starts
  // it (0.1–0.3 s, mid-run; none in the bundle the daemon runs): bundled here, handed over.
  prepareWorker('checkpoint-worker');
  const { committed, started, warmup = 0 } = opts;
  const writer = await AuditWriter.open(file, { durability: 'normal', device });
  for (let i = 0; i < warmup; i += batch) {
    for (let k = i; k < Math.min(warmup, i + batch); k++) writer.take(pool[k % pool.length] as WardenEvent);
    writer.flush();
  }
  writer.sync(120_000);
  started?.();
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < total; i += batch) {
    for (let k = i; k < Math.min(total, i + batch); k++) writer.take(pool[k % pool.length] as WardenEvent);
    writer.flush();
  }
  writer.sync(120_000);
  const ms = performance.now() - t;
  const used = process.cpuUsage(cpu);
  committed?.();
  writer.close();
  const store = AuditStore.open(file, { readOnly: true });
  try {
    if (store.count() !== warmup + total)
      throw new Error(`pipeline bench: ${store.count()} of ${warmup + total} records committed`);
  } finally {
    store.close();
  }
  return { rate: Math.round((total / ms) * 1000), cpuPerEvent: (used.user + used.system) / total, file };
}
