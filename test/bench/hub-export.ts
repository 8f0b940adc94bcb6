// The hub's OTLP export rate (issue 16): records of a real device audit store (request
// events, compact form) put in a hub store, then sent by the exporter (OCSF mapping, OTLP
// JSON encoding, batches of 1,000) to the test receiver on loopback, which parses and checks
// every request in a worker thread (another core, as a Collector would be). Goal ≥ 20,000 records/s. Size: HUB_EXPORT_BENCH_RECORDS (50000).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VERSION } from '../../supervisor/api/version.ts';
import { GENESIS_HASH } from '../../supervisor/audit/chain.ts';
import { addExportTarget, runnerFor } from '../../supervisor/hub/exports/index.ts';
import { openHubStore } from '../../supervisor/hub/open-hub.ts';
import { TestDevice } from '../support/hub/device.ts';
import { ReceiverThread } from '../support/otlp/receiver-worker.ts';
import type { Figure } from './figures.ts';

const RECORDS = Number(process.env.HUB_EXPORT_BENCH_RECORDS ?? 50_000);

/** CPU time of this process's main thread (the sender), in µs (Linux; 0 elsewhere). */
function mainThreadCpuUs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return 0;
  }
}

export async function benchHubExport(): Promise<Figure[]> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'warden-export-bench-'));
  const device = new TestDevice(home);
  const store = await openHubStore('sqlite:hub.db', home);
  let rx: ReceiverThread | undefined;
  try {
    device.append(RECORDS);
    await store.addToken('bench', 0, Date.now() + 3_600_000);
    const enrolled = await store.enroll('bench', 1, {
      id: device.id,
      publicKey: '',
      user: 'alice',
      machine: 'devbox',
      os: 'Linux',
      version: VERSION,
      enrolledAt: 0,
      startSeq: 1,
      startPrev: GENESIS_HASH,
      enrollHead: null,
    });
    if (enrolled !== 'ok') throw new Error(`enroll: ${enrolled}`);
    for (let after = 0; after < RECORDS; after += 1000) {
      const rows = device.rows(after, 1000);
      await store.transaction(device.id, (tx) => tx.insertRecords(rows, Date.now()));
    }
    rx = await ReceiverThread.start();
    const target = await addExportTarget(store, 'otlp', rx.url, 'bench', Date.now());
    const t = performance.now();
    const cpu = process.cpuUsage();
    const senderCpu = mainThreadCpuUs();
    const report = await runnerFor(store, target, VERSION).round();
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    // Process-wide: the sender and the receiver thread together (the wall rate depends on
    // what else the machine runs; this does not).
    const cpuUsPerRecord = (used.user + used.system) / RECORDS;
    const senderUsPerRecord = (mainThreadCpuUs() - senderCpu) / RECORDS;
    const got = await rx.stats();
    if (report.error || got.size !== RECORDS || got.duplicates !== 0)
      throw new Error(`export incomplete: ${JSON.stringify(report)}, received ${JSON.stringify(got)}`);
    const rate = RECORDS / seconds;
    return [
      {
        section: 'hub',
        name: `OTLP/HTTP export of ${RECORDS} records to a loopback receiver (records/s)`,
        value: Math.round(rate),
        unit: 'records/s',
        goal: { op: '>=', target: 20_000, on: 'value' },
        note: `${seconds.toFixed(2)} s, load average ${os.loadavg()[0]!.toFixed(1)}; CPU ${cpuUsPerRecord.toFixed(0)} µs a record (sender + receiver thread, which parses and checks every request)`,
      },
      {
        section: 'hub',
        name: 'OTLP/HTTP export: sender CPU per record (read, map to OCSF, encode, send)',
        value: Math.round(senderUsPerRecord),
        unit: 'µs',
        goal: { op: '<=', target: 50, on: 'value' },
        note: `${Math.round(1e6 / Math.max(1, senderUsPerRecord))} records/s for one free core; the wall rate above shares the machine`,
      },
    ];
  } finally {
    await rx?.close();
    await store.close();
    device.close();
    rmSync(home, { recursive: true, force: true });
  }
}
