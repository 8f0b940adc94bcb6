// The hub's OTLP export rate (issue 16): records of a real device audit store (request
// events, compact form) put in a hub store, then sent by the exporter (OCSF mapping, OTLP
// JSON encoding, batches of 1,000, two in flight) to an OTLP/HTTP receiver on loopback in
// its own process (as a Collector would be), which JSON.parses every request, checks the
// resource attributes and counts every record by device + seq (losses, duplicates and
// contiguity checked at the end). Graded: the wall rate end to end (goal ≥ 20,000 records/s)
// and the sender's CPU per record (its whole process: goal ≤ 20 µs). Also measured in the
// same run: one batch in flight, and the receiver running the tests' full OTLP JSON check.
// Size: HUB_EXPORT_BENCH_RECORDS (50000).

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VERSION } from '../../supervisor/api/version.ts';
import { GENESIS_HASH } from '../../supervisor/audit/chain.ts';
import { addExportTarget, runnerFor } from '../../supervisor/hub/exports/index.ts';
import { openHubStore } from '../../supervisor/hub/open-hub.ts';
import type { HubStore } from '../../supervisor/hub/store.ts';
import { TestDevice } from '../support/hub/device.ts';
import { ReceiverProcess } from '../support/otlp/receiver-process.ts';
import type { Figure } from './figures.ts';

const RECORDS = Number(process.env.HUB_EXPORT_BENCH_RECORDS ?? 50_000);

interface Run {
  rate: number;
  seconds: number;
  senderUs: number;
  receiverUs: number;
  load: number;
}

/** One round of a fresh destination to a fresh receiver; throws unless every record arrived once. */
async function exportRun(
  store: HubStore,
  device: string,
  name: string,
  inFlight: number,
  spec: boolean,
): Promise<Run> {
  const rx = await ReceiverProcess.start({ spec });
  try {
    const target = await addExportTarget(store, 'otlp', rx.url, name, Date.now());
    const runner = runnerFor(store, target, VERSION, { inFlight });
    const t = performance.now();
    const cpu = process.cpuUsage();
    const report = await runner.round();
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    const load = os.loadavg()[0]!;
    const { stats, cpuUs } = await rx.stats();
    const seqs = stats.devices[device];
    if (
      report.error ||
      report.sent !== RECORDS ||
      stats.records !== RECORDS ||
      stats.duplicates !== 0 ||
      seqs?.size !== RECORDS ||
      seqs.min !== 1 ||
      seqs.max !== RECORDS
    )
      throw new Error(`export incomplete: ${JSON.stringify(report)}, received ${JSON.stringify(stats)}`);
    return {
      rate: RECORDS / seconds,
      seconds,
      senderUs: (used.user + used.system) / RECORDS,
      receiverUs: cpuUs / RECORDS,
      load,
    };
  } finally {
    await rx.close();
  }
}

export async function benchHubExport(): Promise<Figure[]> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'warden-export-bench-'));
  const device = new TestDevice(home);
  const store = await openHubStore('sqlite:hub.db', home);
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
    const main = await exportRun(store, device.id, 'bench', 2, false);
    const one = await exportRun(store, device.id, 'bench-one', 1, false);
    const spec = await exportRun(store, device.id, 'bench-spec', 2, true);
    const per = (r: Run) =>
      `${Math.round(r.rate)} records/s in ${r.seconds.toFixed(2)} s, sender ${r.senderUs.toFixed(1)} µs and receiver ${r.receiverUs.toFixed(1)} µs of CPU a record, load ${r.load.toFixed(1)}`;
    return [
      {
        section: 'hub',
        name: `OTLP/HTTP export of ${RECORDS} records to a loopback receiver that parses every request (records/s)`,
        value: Math.round(main.rate),
        unit: 'records/s',
        goal: { op: '>=', target: 20_000, on: 'value' },
        note: `end to end, wall time: ${per(main)}. Same run, one batch in flight: ${per(one)}; receiver running the full OTLP JSON check: ${per(spec)}`,
      },
      {
        section: 'hub',
        name: 'OTLP/HTTP export: sender CPU per record (read, map to OCSF, encode, send; whole process)',
        value: Number(main.senderUs.toFixed(1)),
        unit: 'µs',
        goal: { op: '<=', target: 20, on: 'value' },
        note: `${Math.round(1e6 / main.senderUs)} records/s for one free core; the receiver process used ${main.receiverUs.toFixed(1)} µs a record (${Math.round(1e6 / main.receiverUs)} records/s for one free core)`,
      },
    ];
  } finally {
    await store.close();
    device.close();
    rmSync(home, { recursive: true, force: true });
  }
}
