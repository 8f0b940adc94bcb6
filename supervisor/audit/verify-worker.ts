// A worker thread of verify's parallel walk (verify-parallel.ts): on its own read-only
// connection it claims and checks chunks (verify-chunks.ts) beside the other threads, then
// posts the chunks it checked. Any hash that does not match sends verify to the sequential
// walk, so this can only ever confirm a chain whose every record hashes correctly.

import { createRequire } from 'node:module';
import { type MessagePort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { type ChunkJob, checkChunks, type SliceResult } from './verify-chunks.ts';
import { ChunkSlot, ThreadState } from './worker-slots.ts';

/**
 * better-sqlite3 is required, not imported: loaded as an ES module (a CommonJS package
 * translated on import), the four workers of a verify took ~35 ms longer to start. Inside
 * main's try, so a driver that cannot load is reported like any other failure.
 */
function loadDriver(): typeof Database {
  return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
}

/** What a verify worker is given: the job every thread shares, its slot and its port. */
export interface SliceJob extends ChunkJob {
  /** Where the result goes (posted once, then closed). */
  port: MessagePort;
  /** This worker's number: its ThreadState is at ChunkSlot.WORKERS + index. */
  index: number;
}

/** A worker's report: the chunks it checked (a failed one last), or why it could not. */
export interface WorkerResult {
  chunks: SliceResult[];
  error?: string;
}

function main(): void {
  const job = workerData as SliceJob;
  const slot = ChunkSlot.WORKERS + job.index;
  // The caller closed this slot: every chunk was taken before this thread started.
  if (
    Atomics.compareExchange(job.state, slot, ThreadState.WAITING, ThreadState.STARTED) !== ThreadState.WAITING
  ) {
    job.port.close();
    return;
  }
  let result: WorkerResult = { chunks: [] };
  try {
    const Driver = loadDriver();
    const db = new Driver(job.file, { readonly: true, fileMustExist: true });
    try {
      result = { chunks: checkChunks(db, job) };
    } finally {
      db.close();
    }
  } catch (error) {
    // The chunk it was checking, if any, has no result: stop the others, the walk decides.
    Atomics.store(job.state, ChunkSlot.STOP, 1);
    result = { ...result, error: String((error as Error)?.message || error) };
  } finally {
    job.port.postMessage(result);
    job.port.close();
    Atomics.store(job.state, slot, ThreadState.DONE);
    Atomics.notify(job.state, slot);
  }
}

main();
