// CPU per request record of each thread on the daemon's audit path (audit-pipeline.ts):
// the event loop, the encoder, the writer, the WAL checkpointer (which name themselves, see
// supervisor/audit/thread-name.ts) and V8's platform threads (GC, compilation), read from
// /proc/self/task when the clock starts (the pool made, the threads started) and once
// everything is committed: the same window as the bench's figure. Linux only.
// Run: node --import tsx test/bench/audit-threads.ts [records] [folder]   (default 200000, /dev/shm)

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchEvent } from './audit.ts';
import { pipelinedAppend } from './audit-pipeline.ts';

const DEVICE = { hostname: 'bench', os: { name: 'Linux', type: 'Linux', type_id: 100 } };
const TICK_US = 1_000_000 / 100; // USER_HZ

/** Thread id → its name and CPU (µs, user + system). */
function threads(): Map<string, { name: string; cpu: number }> {
  const out = new Map<string, { name: string; cpu: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { name, cpu: (Number(fields[11]) + Number(fields[12])) * TICK_US });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

function role(tid: string, name: string): string {
  if (Number(tid) === process.pid) return 'event loop';
  if (name.startsWith('audit-')) return name.slice('audit-'.length);
  return name === 'node' ? 'V8 platform' : 'other';
}

const total = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(
  path.join(process.argv[3] ?? (os.platform() === 'linux' ? '/dev/shm' : os.tmpdir()), 'audit-threads-'),
);
try {
  let before = new Map<string, { name: string; cpu: number }>();
  let after = new Map<string, { name: string; cpu: number }>();
  const result = await pipelinedAppend(dir, total, 1000, benchEvent, DEVICE, {
    committed: () => {
      after = threads();
    },
    started: () => {
      before = threads();
    },
  });
  const byRole = new Map<string, number>();
  for (const [tid, { name, cpu }] of after) {
    const key = role(tid, name);
    byRole.set(key, (byRole.get(key) ?? 0) + (cpu - (before.get(tid)?.cpu ?? 0)) / total);
  }
  console.log(
    `${total} request records, ${result.rate} records/s, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const [key, us] of [...byRole].sort((a, b) => b[1] - a[1]))
    console.log(`  ${key.padEnd(12)} ${us.toFixed(2)} µs a record`);
  console.log(
    `  ${'all threads'.padEnd(12)} ${result.cpuPerEvent.toFixed(2)} µs a record (process.cpuUsage)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
