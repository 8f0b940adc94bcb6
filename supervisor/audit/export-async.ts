// Export without blocking the calling thread (the daemon's `audit.export` task): a worker
// (export-worker.ts) writes `<out>.partial` and adds the records it has written to a shared
// counter the caller polls; once it is done the file takes its final name. Cancelled or
// failed, the partial file is removed: a file under the final name is always complete. A
// `.partial` already there is refused, never written through nor removed.

import { lstatSync, renameSync, rmSync } from 'node:fs';
import { awaitWorker } from './await-worker.ts';
import type { ExportFormat } from './export.ts';
import type { ExportJob, ExportMessage } from './export-worker.ts';

export interface AsyncExport {
  /** The audit database. */
  file: string;
  format: ExportFormat;
  since?: number;
  /** The final file (must not exist yet); written as `<out>.partial` first. */
  out: string;
  /** verify-progress.ts counter: records written (DONE) of TOTAL. */
  progress: Int32Array;
  signal?: AbortSignal;
}

export const PARTIAL_SUFFIX = '.partial';

/** Returns how many records were written to `out`. */
export async function exportAsync(x: AsyncExport): Promise<number> {
  const partial = `${x.out}${PARTIAL_SUFFIX}`;
  // Not ours to write through or remove (a run that crashed, or a link planted there).
  if (lstatSync(partial, { throwIfNoEntry: false })) {
    throw new Error(
      `${partial} exists already: remove it (a partial export of another run?) and export again`,
    );
  }
  const job: ExportJob = {
    file: x.file,
    format: x.format,
    out: partial,
    progress: x.progress,
    ...(x.since !== undefined ? { since: x.since } : {}),
  };
  let done = false;
  try {
    const message = await awaitWorker<ExportMessage>('export-worker', job, {
      what: 'export',
      ...(x.signal ? { signal: x.signal } : {}),
    });
    if ('error' in message) throw new Error(`the export failed: ${message.error}`);
    renameSync(partial, x.out);
    done = true;
    return message.written;
  } finally {
    // The worker is terminated by now, so nothing writes to the partial file any more.
    if (!done) rmSync(partial, { force: true });
  }
}
