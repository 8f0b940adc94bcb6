// Drives one export destination: reads each device's records after the destination's cursor,
// hands them to the sink in batches and moves the cursor only after the sink confirmed
// (at least once: a crash between the two resends; receivers dedupe on device + seq).
// Every attempt's outcome is saved so `warden hub export ls` and the web page can show it.

import type { HubRecord } from '../../api/hub.ts';
import type { OtlpDevice } from '../../audit/otlp/otlp-encode.ts';
import type { SinkResult } from '../../audit/otlp/otlp-sink.ts';
import type { DeviceRow, ExportCursor, ExportTargetRow, HubStore } from '../store.ts';

/** Two steps, so the runner can encode the next batches while earlier ones are in flight. */
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

// Progress is saved at most this often while batches are confirmed, and at the end of every
// round: a save is a durable (fsynced) commit that blocks the event loop for milliseconds,
// once a batch it held the sender up more than the encoding did. A crash in between resends
// what was confirmed since the last save (at least once; receivers dedupe on device + seq).
const SAVE_EVERY_MS = 500;

export class ExportRunner {
  #target: ExportTargetRow;
  /** Confirmed progress not yet saved, and when it last was. */
  #unsaved = false;
  #savedAt = 0;
  constructor(
    readonly store: HubStore,
    target: ExportTargetRow,
    readonly sink: ExportSink,
    readonly batchSize = 1000,
    /** Batches sent and not yet answered, at most (1: the next is read and encoded meanwhile). */
    readonly inFlight = 1,
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
      if (this.#unsaved) await this.#save();
    } catch (error) {
      // A failed send, or a record that cannot be encoded: the cursor stays before it.
      report.error = (error as Error).message;
      t.lastError = report.error;
      t.lastAttempt = Date.now();
      await this.#save();
      return report;
    }
    if (state.batches === 0) {
      t.lastAttempt = Date.now();
      t.lastError = null;
      await this.#save();
    }
    return report;
  }

  async #device(
    device: DeviceRow,
    report: RoundReport,
    state: { batches: number; note: string | null },
    maxBatches: number,
  ): Promise<void> {
    const who: OtlpDevice = { id: device.id, machine: device.machine, version: device.version };
    // Up to `inFlight` batches sent and not yet answered; the cursor still moves only in order,
    // each batch's outcome recorded after every batch before it was.
    const pending: Array<{ records: readonly HubRecord[]; sending: Promise<SinkResult> }> = [];
    let failure: unknown = null;
    // Once a batch failed (or its progress could not be saved), none behind it is recorded.
    let stopped = false;
    const settleFirst = async () => {
      try {
        await this.#settle(device, pending.shift()!, report, state);
      } catch (error) {
        stopped = true;
        throw error;
      }
    };
    try {
      let after = this.#target.cursor[device.id] ?? 0;
      while (state.batches < maxBatches) {
        const records = await this.store.records(device.id, after, this.batchSize);
        if (!records.length) break;
        const prepared = await this.sink.prepare({ device: who, records });
        while (pending.length >= this.inFlight) await settleFirst();
        state.batches++;
        const sending = this.sink.deliver(prepared);
        sending.catch(() => {}); // awaited in order below; this keeps it from counting as unhandled
        pending.push({ records, sending });
        after = records[records.length - 1]!.seq;
      }
    } catch (error) {
      failure = error;
    }
    // What is in flight is recorded in order, also after a failure in reading or encoding (a
    // failed send before it is the round's error then); after a failed send, the batches
    // behind it are awaited but not recorded: they are sent again next round.
    while (pending.length) {
      if (stopped) {
        await pending.shift()!.sending.catch(() => {});
        continue;
      }
      try {
        await settleFirst();
      } catch (error) {
        failure = error;
      }
    }
    if (failure !== null) throw failure;
  }

  async #settle(
    device: DeviceRow,
    p: { records: readonly HubRecord[]; sending: Promise<SinkResult> },
    report: RoundReport,
    state: { note: string | null },
  ): Promise<void> {
    const t = this.#target;
    const result = await p.sending;
    const rejected = Math.min(result.rejected, p.records.length);
    t.cursor[device.id] = p.records[p.records.length - 1]!.seq;
    t.exported += p.records.length - rejected;
    report.sent += p.records.length - rejected;
    report.rejected += rejected;
    if (result.note) state.note = result.note;
    t.lastAttempt = Date.now();
    t.lastSuccess = t.lastAttempt;
    t.lastError = state.note;
    this.#unsaved = true;
    if (t.lastAttempt - this.#savedAt >= SAVE_EVERY_MS) await this.#save();
  }

  async #save(): Promise<void> {
    const t = this.#target;
    await this.store.saveExportProgress(t.name, t);
    this.#unsaved = false;
    this.#savedAt = Date.now();
  }
}
