// The asynchronous export (export-async.ts) in a worker thread: counts the records it will
// write (the total of its progress), then streams them (export.ts) into the partial file it
// was given, adding to the shared counter at every flush. Posts one message: how many
// records it wrote, or why it could not.

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ContextTable } from './contexts.ts';
import { type ExportFormat, exportRecords } from './export.ts';
import { openDatabase } from './store-setup.ts';
import { ProgressSlot } from './verify-progress.ts';

export interface ExportJob {
  file: string;
  format: ExportFormat;
  since?: number;
  /** Where to write: created here (0600, never an existing file). */
  out: string;
  /** verify-progress.ts counter: DONE records written, TOTAL records to write. */
  progress: Int32Array;
}

export type ExportMessage = { written: number } | { error: string };

function main(): void {
  const job = workerData as ExportJob;
  let message: ExportMessage;
  try {
    const { db, layout } = openDatabase(job.file, { readOnly: true });
    let fd = -1;
    try {
      // One snapshot for the count and the rows, so the total is what gets written.
      db.exec('BEGIN');
      const since = job.since ?? Number.MIN_SAFE_INTEGER;
      const total = db.prepare('SELECT count(*) FROM records WHERE time >= ?').pluck().get(since) as number;
      Atomics.store(job.progress, ProgressSlot.TOTAL, total);
      fd = openSync(job.out, 'wx', 0o600);
      const out = fd;
      const written = exportRecords(db, layout, new ContextTable(db, layout.contexts), {
        format: job.format,
        since,
        write: (chunk) => void writeSync(out, chunk),
        progress: job.progress,
      });
      fsyncSync(fd);
      message = { written };
    } finally {
      if (fd >= 0) closeSync(fd);
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
    }
  } catch (error) {
    message = { error: String((error as Error)?.message || error) };
  }
  parentPort?.postMessage(message);
}

main();
