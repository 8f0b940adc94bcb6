// Drives one export destination: reads each device's records after the destination's cursor,
// hands them to the sink in batches and moves the cursor only after the sink confirmed
// (at least once: a crash between the two resends; receivers dedupe on device + seq).
// Every attempt's outcome is saved so `warden hub export ls` and the web page can show it.

import type { HubRecord } from '../../api/hub.ts';
import type { OtlpDevice } from '../../audit/otlp/otlp-encode.ts';
import type { SinkResult } from '../../audit/otlp/otlp-sink.ts';
import type { DeviceRow, ExportCursor, ExportTargetRow, HubStore } from '../store.ts';

/** Two steps, so the runner can encode batch N+1 while batch N is in flight. */
export interface ExportSink<P = unknown> {
  prepare(batch: { device: OtlpDevice; records: readonly HubRecord[] }): Promise<P>;
  deliver(prepared: P): Promise<SinkResult>;
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
    const state = { batches: 0, note: null as string | null };
    try {
      for (const device of await this.store.devices()) await this.#device(device, report, state, maxBatches);
    } catch (error) {
      // A failed send, or a record that cannot be encoded: the cursor stays before it.
      report.error = (error as Error).message;
      t.lastError = report.error;
      t.lastAttempt = Date.now();
      await this.store.saveExportProgress(t.name, t);
      return report;
    }
    if (state.batches === 0) {
      t.lastAttempt = Date.now();
      t.lastError = null;
      await this.store.saveExportProgress(t.name, t);
    }
    return report;
  }

  async #device(
    device: DeviceRow,
    report: RoundReport,
    state: { batches: number; note: string | null },
    maxBatches: number,
  ): Promise<void> {
    const t = this.#target;
    const who: OtlpDevice = { id: device.id, machine: device.machine, version: device.version };
    if (state.batches >= maxBatches) return;
    let records = await this.store.records(device.id, t.cursor[device.id] ?? 0, this.batchSize);
    let prepared = records.length ? await this.sink.prepare({ device: who, records }) : null;
    while (prepared !== null && state.batches < maxBatches) {
      state.batches++;
      const sending = this.sink.deliver(prepared);
      sending.catch(() => {}); // awaited below; this keeps it from counting as unhandled meanwhile
      // One batch ahead, at most: read and encode the next while this one is in flight.
      const last = records[records.length - 1]!.seq;
      let next: HubRecord[] = [];
      let nextPrepared: unknown = null;
      try {
        next = state.batches < maxBatches ? await this.store.records(device.id, last, this.batchSize) : [];
        nextPrepared = next.length ? await this.sink.prepare({ device: who, records: next }) : null;
      } finally {
        // Whatever the next batch did, this one's outcome is recorded first.
        const result = await sending;
        const rejected = Math.min(result.rejected, records.length);
        t.cursor[device.id] = last;
        t.exported += records.length - rejected;
        report.sent += records.length - rejected;
        report.rejected += rejected;
        if (result.note) state.note = result.note;
        t.lastAttempt = Date.now();
        t.lastSuccess = t.lastAttempt;
        t.lastError = state.note;
        await this.store.saveExportProgress(t.name, t);
      }
      records = next;
      prepared = nextPrepared;
    }
  }
}
