// Drives one export destination: reads each device's records after the destination's cursor,
// hands them to the sink in batches and moves the cursor only after the sink confirmed
// (at least once: a crash between the two resends; receivers dedupe on device + seq).
// Every attempt's outcome is saved so `warden hub export ls` and the web page can show it.

import type { HubRecord } from '../../api/hub.ts';
import type { DeviceRow, ExportCursor, ExportTargetRow, HubStore } from '../store.ts';
import type { OtlpDevice } from './otlp-encode.ts';
import type { SinkResult } from './otlp-sink.ts';

export interface ExportSink {
  send(batch: { device: OtlpDevice; records: readonly HubRecord[] }): Promise<SinkResult>;
}

export interface RoundReport {
  sent: number;
  rejected: number;
  error: string | null;
}

/** Records not yet confirmed by the destination, across devices. */
export function exportLag(devices: readonly DeviceRow[], cursor: ExportCursor): number {
  let lag = 0;
  for (const d of devices) if (d.head) lag += Math.max(0, d.head.seq - (cursor[d.id] ?? d.startSeq - 1));
  return lag;
}

export class ExportRunner {
  #target: ExportTargetRow;
  constructor(
    readonly store: HubStore,
    target: ExportTargetRow,
    readonly sink: ExportSink,
    readonly batchSize = 1000,
  ) {
    this.#target = { ...target, cursor: { ...target.cursor } };
  }

  get target(): ExportTargetRow {
    return this.#target;
  }

  /** Send everything pending (bounded by `maxBatches`); stops at the first failure. */
  async round(maxBatches = 100_000): Promise<RoundReport> {
    const t = this.#target;
    const report: RoundReport = { sent: 0, rejected: 0, error: null };
    let batches = 0;
    let note: string | null = null;
    for (const device of await this.store.devices()) {
      const who: OtlpDevice = { id: device.id, machine: device.machine, version: device.version };
      while (batches < maxBatches) {
        const after = t.cursor[device.id] ?? 0;
        const records = await this.store.records(device.id, after, this.batchSize);
        if (records.length === 0) break;
        batches++;
        let result: SinkResult;
        try {
          result = await this.sink.send({ device: who, records });
        } catch (error) {
          report.error = (error as Error).message;
          t.lastError = report.error;
          t.lastAttempt = Date.now();
          await this.store.saveExportProgress(t.name, t);
          return report;
        }
        const rejected = Math.min(result.rejected, records.length);
        t.cursor[device.id] = records[records.length - 1]!.seq;
        t.exported += records.length - rejected;
        report.sent += records.length - rejected;
        report.rejected += rejected;
        if (result.note) note = result.note;
        t.lastAttempt = Date.now();
        t.lastSuccess = t.lastAttempt;
        t.lastError = note;
        await this.store.saveExportProgress(t.name, t);
      }
    }
    if (batches === 0) {
      t.lastAttempt = Date.now();
      t.lastError = null;
      await this.store.saveExportProgress(t.name, t);
    }
    return report;
  }
}
