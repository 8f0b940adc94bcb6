// Parallel fast path of verify. Each record's check is local: its hash must equal
// SHA-256(prev_hash ‖ canonical row) and its prev_hash must equal the hash of the record
// before it. So the seq range is cut into chunks that threads claim from a shared counter
// (verify-chunks.ts), each recomputing the hashes of its chunks on its own read-only
// connection and checking the links inside them; the caller then checks the links between
// chunks. Only "all good" is decided here: on any doubt (a gap, a bad link or hash, a
// thread that fails) the caller walks the chain sequentially, which names the first bad
// record exactly as before.
//
// The synchronous verify checks chunks on the calling thread too, beside one worker per
// other core: the caller would only wait otherwise, and it starts at once while a worker
// takes ~70 ms to start here. The asynchronous one (the daemon's task) leaves its thread
// free and uses workers only. Workers run verify-worker.ts (dist/verify-worker.mjs in the
// bundle). Threads read rows ≤ a fixed seq; records are append-only, and the only
// concurrent change, a prune removing old rows, makes a chunk look broken and so also
// leads to the sequential walk.

import os from 'node:os';
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { WardenError } from '../api/errors.ts';
import type { Layout } from './schema.ts';
import { startWorker } from './start-worker.ts';
import { type ChunkJob, checkChunks, chunkCount, type SliceResult } from './verify-chunks.ts';
import { type ContextRow, chunkSql } from './verify-sql.ts';
import type { SliceJob, WorkerResult } from './verify-worker.ts';
import { ChunkSlot, sharedSlots, ThreadState } from './worker-slots.ts';

export type { SliceResult } from './verify-chunks.ts';
export type { ContextRow } from './verify-sql.ts';

/**
 * Seqs per chunk. Small: a chunk's bytes (~60 KB) stay in the CPU's caches and below glibc's
 * mmap threshold (128 KB), so SQLite's buffer and its copy are not fresh pages each time
 * (figures in README.md).
 */
export const CHUNK_ROWS = 64;

/**
 * Chunks a thread claims at a time (1,024 seqs): each thread reads runs of ~200 pages, so the
 * kernel's fault-around (16 pages a fault) maps pages the thread itself goes on to read, not
 * the other thread's.
 */
export const CLAIM_CHUNKS = 16;

/** How many threads verify uses (at most 4; one per core). */
export function verifyThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

export interface SliceOptions {
  timeoutMs?: number;
  contexts?: readonly ContextRow[];
  /** Seqs per chunk (default CHUNK_ROWS). */
  chunkRows?: number;
  /** Chunks per claim (default CLAIM_CHUNKS). */
  claimChunks?: number;
}

function chunkJob(
  file: string,
  layout: Layout,
  first: number,
  last: number,
  anchorAt: number,
  workers: number,
  options: SliceOptions,
): ChunkJob {
  return {
    file,
    sql: chunkSql(layout, options.contexts),
    first,
    last,
    chunkRows: Math.max(1, Math.trunc(options.chunkRows ?? CHUNK_ROWS)),
    claimChunks: Math.max(1, Math.trunc(options.claimChunks ?? CLAIM_CHUNKS)),
    anchorAt,
    state: sharedSlots(ChunkSlot.WORKERS + workers),
  };
}

/** A thread that could not check its chunks: one failed result carrying why. */
function failure(error: string): SliceResult {
  return {
    ok: false,
    chunk: -1,
    chunks: 1,
    firstPrev: null,
    lastHash: null,
    anchorHash: null,
    records: 0,
    error,
  };
}

/** Every thread's chunks, in chunk order; a thread's error as a failed result first. */
function merge(reports: readonly WorkerResult[]): SliceResult[] {
  const errors = reports.filter((r) => r.error !== undefined).map((r) => failure(r.error as string));
  const chunks = reports.flatMap((r) => r.chunks).sort((a, b) => a.chunk - b.chunk);
  return [...errors, ...chunks];
}

/** Generous (the sequential walk is the fallback): 30 s plus 100 µs per record. */
function limitFor(first: number, last: number, timeoutMs: number | undefined): number {
  return timeoutMs ?? 30_000 + (last - first + 1) / 10;
}

/** The calling thread's share, on a connection of its own. */
function ownShare(job: ChunkJob): WorkerResult {
  try {
    const db = new Database(job.file, { readonly: true, fileMustExist: true });
    try {
      return { chunks: checkChunks(db, job) };
    } finally {
      db.close();
    }
  } catch (error) {
    Atomics.store(job.state, ChunkSlot.STOP, 1);
    return { chunks: [], error: String((error as Error)?.message || error) };
  }
}

function startSliceWorker(job: ChunkJob, index: number): { worker: Worker; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const workerData: SliceJob = { ...job, port: port2, index };
  const worker = startWorker('verify-worker', { execArgv: [], workerData, transferList: [port2] });
  worker.on('error', () => {});
  return { worker, port: port1 };
}

/**
 * Verify records `first…last` of `file` on the calling thread and `threads − 1` workers,
 * blocking until all are done (verify() stays synchronous). Returns the chunks' results in
 * order (the caller links them and counts the records), or null when a worker that took
 * chunks did not report in time.
 */
export function verifySlices(
  file: string,
  layout: Layout,
  first: number,
  last: number,
  anchorAt: number,
  threads: number,
  options: SliceOptions = {},
): SliceResult[] | null {
  const limit = limitFor(first, last, options.timeoutMs);
  const probe = { first, last, chunkRows: Math.max(1, Math.trunc(options.chunkRows ?? CHUNK_ROWS)) };
  const workerCount = Math.max(0, Math.min(threads - 1, chunkCount(probe) - 1));
  const job = chunkJob(file, layout, first, last, anchorAt, workerCount, options);
  const workers: Array<{ worker: Worker; port: MessagePort }> = [];
  try {
    for (let i = 0; i < workerCount; i++) {
      const started = startSliceWorker(job, i);
      started.worker.unref();
      workers.push(started);
    }
    const reports = [ownShare(job)];
    // Every chunk is claimed (or claiming stopped): a worker that has not started is not needed.
    const deadline = Date.now() + limit;
    for (let i = 0; i < workers.length; i++) {
      const slot = ChunkSlot.WORKERS + i;
      if (
        Atomics.compareExchange(job.state, slot, ThreadState.WAITING, ThreadState.CLOSED) ===
        ThreadState.WAITING
      )
        continue;
      while (Atomics.load(job.state, slot) !== ThreadState.DONE) {
        const left = deadline - Date.now();
        if (left <= 0) return null;
        Atomics.wait(job.state, slot, ThreadState.STARTED, Math.min(left, 1000));
      }
      const received = receiveMessageOnPort(workers[i]?.port as MessagePort);
      if (!received) return null;
      reports.push(received.message as WorkerResult);
    }
    return merge(reports);
  } catch {
    return null;
  } finally {
    for (const { worker, port } of workers) {
      port.close();
      void worker.terminate();
    }
  }
}

/** What the asynchronous variant takes beyond verifySlices' options. */
export interface AsyncSliceOptions extends SliceOptions {
  /** A counter from verify-progress.ts: the workers add the rows they check, per chunk. */
  progress?: Int32Array;
  /** Aborting terminates the workers; the call then rejects with `Cancelled`. */
  signal?: AbortSignal;
}

/**
 * verifySlices for a caller that must not block (the daemon's `audit.verify` task): `threads`
 * workers and the same results, awaited on their ports. Resolves null when the workers could
 * not be used (the caller then walks the chain another way); rejects with `Cancelled` when
 * the signal aborts. Every worker that has not reported is terminated before it settles.
 */
export async function verifySlicesAsync(
  file: string,
  layout: Layout,
  first: number,
  last: number,
  anchorAt: number,
  threads: number,
  options: AsyncSliceOptions = {},
): Promise<SliceResult[] | null> {
  const cancelled = () =>
    new WardenError('Cancelled', 'the verify was cancelled', 'start it again when you want it');
  if (options.signal?.aborted) throw cancelled();
  const limit = limitFor(first, last, options.timeoutMs);
  const probe = { first, last, chunkRows: Math.max(1, Math.trunc(options.chunkRows ?? CHUNK_ROWS)) };
  const n = Math.max(1, Math.min(threads, chunkCount(probe)));
  const job = chunkJob(file, layout, first, last, anchorAt, n, options);
  if (options.progress) job.progress = options.progress;
  const workers: Array<{ worker: Worker; port: MessagePort }> = [];
  const reported: boolean[] = [];
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<SliceResult[] | null>((resolve, reject) => {
      const reports = new Array<WorkerResult | undefined>(n);
      let pending = n;
      timer = setTimeout(() => resolve(null), limit);
      onAbort = () => reject(cancelled());
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const got = (i: number, report: WorkerResult) => {
        if (reports[i]) return;
        reports[i] = report;
        reported[i] = true;
        if (--pending === 0) resolve(merge(reports as WorkerResult[]));
      };
      for (let i = 0; i < n; i++) {
        const { worker, port } = startSliceWorker(job, i);
        port.on('message', (message: WorkerResult) => got(i, message));
        // A worker that ends without a result (it could not start) ends the wait at once.
        worker.once('exit', () => {
          const late = receiveMessageOnPort(port);
          if (late) got(i, late.message as WorkerResult);
          else if (!reports[i]) resolve(null);
        });
        workers.push({ worker, port });
      }
    });
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    // A worker that reported has closed its connection and is ending by itself: its exit is
    // not waited for (tearing a thread down took 0.1-0.15 s here, after every record was
    // checked). Any other is terminated before this settles (a cancel, a timeout).
    await Promise.all(
      workers.map(({ worker, port }, i) => {
        port.close();
        const ending = worker.terminate().catch(() => 0);
        if (!reported[i]) return ending;
        worker.unref();
        return 0;
      }),
    );
  }
}
