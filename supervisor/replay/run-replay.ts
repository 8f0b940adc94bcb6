// A what-if replay over the audit store, off the calling thread: the seq range is cut into
// slices, each read and decided by a worker thread (replay-worker.ts) on its own read-only
// connection; their differing shapes are merged here (a shape seen in two slices is one
// shape: counts add, first and last seen widen). Progress is the seqs read so far; an abort
// terminates the workers at once. Nothing here blocks: every wait is a message.

import os from 'node:os';
import type { MessagePort, Worker } from 'node:worker_threads';
import { MessageChannel } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { WardenError } from '../api/errors.ts';
import { REPLAY_MAX_DIFFERENCES, type ReplayDifference, type ReplayResult } from '../api/replay-types.ts';
import { seqBounds, startModuleWorker } from '../audit/index.ts';
import type { ReplayPairs } from './decide-shapes.ts';
import type { ReplayJob, ReplayMessage, SliceDifference } from './replay-worker.ts';

export interface ReplayScan {
  /** The audit database. */
  file: string;
  pairs: ReplayPairs;
  since?: number;
  sandbox?: string;
  /** Worker threads (default: one per core, at most 4, and one per 50,000 records). */
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
}

export type ReplayFigures = Omit<ReplayResult, 'taskId' | 'state'>;

/** Records per thread below which another thread is not worth its start. */
const PER_THREAD_MIN = 50_000;

function seqRange(file: string): { first: number; last: number } | null {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = seqBounds(db);
    return row.first === null || row.last === null ? null : { first: row.first, last: row.last };
  } finally {
    db.close();
  }
}

function shapeKey(d: SliceDifference): string {
  return [d.sandboxId ?? '', d.scheme, d.host, d.port, d.method, d.path].join('\u0000');
}

/** Sandbox first (records without one last), then the most seen. */
function order(a: ReplayDifference, b: ReplayDifference): number {
  if (a.sandboxId !== b.sandboxId) {
    if (a.sandboxId === null) return 1;
    if (b.sandboxId === null) return -1;
    return a.sandboxId < b.sandboxId ? -1 : 1;
  }
  return b.count - a.count || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0) || (a.path < b.path ? -1 : 1);
}

type SliceResult = Extract<ReplayMessage, { type: 'result' }>;

export function mergeSlices(results: SliceResult[]): Omit<ReplayFigures, 'durationMs'> {
  const merged = new Map<string, SliceDifference>();
  let truncated = false;
  const figures = { scanned: 0, shapes: 0, skipped: 0, requestsDiffering: 0 };
  for (const r of results) {
    figures.scanned += r.scanned;
    figures.shapes += r.shapes; // an upper bound: a shape seen in two slices counts twice
    figures.skipped += r.skipped;
    figures.requestsDiffering += r.requestsDiffering;
    truncated ||= r.truncated;
    for (const d of r.differences) {
      const key = shapeKey(d);
      const seen = merged.get(key);
      if (!seen) merged.set(key, { ...d });
      else {
        seen.count += d.count;
        seen.first = Math.min(seen.first, d.first);
        seen.last = Math.max(seen.last, d.last);
      }
    }
  }
  const differences = [...merged.values()]
    .map(
      ({ first, last, ...d }): ReplayDifference => ({
        ...d,
        firstSeen: new Date(first).toISOString(),
        lastSeen: new Date(last).toISOString(),
      }),
    )
    .sort(order);
  if (differences.length > REPLAY_MAX_DIFFERENCES) {
    differences.length = REPLAY_MAX_DIFFERENCES;
    truncated = true;
  }
  return { ...figures, differences, truncated };
}

function cancelled(): WardenError {
  return new WardenError('Cancelled', 'the replay was cancelled', 'start it again when you want it');
}

/** Run the replay; rejects with `Cancelled` when the signal aborts. */
export async function runReplay(scan: ReplayScan): Promise<ReplayFigures> {
  const started = performance.now();
  if (scan.signal?.aborted) throw cancelled();
  const range = seqRange(scan.file);
  const base = {
    ...(scan.since !== undefined ? { since: scan.since } : {}),
    ...(scan.sandbox ? { sandbox: scan.sandbox } : {}),
  };
  if (!range) {
    return {
      ...base,
      scanned: 0,
      shapes: 0,
      skipped: 0,
      requestsDiffering: 0,
      differences: [],
      truncated: false,
      durationMs: 0,
    };
  }
  const total = range.last - range.first + 1;
  const cores = Math.max(1, Math.min(4, os.availableParallelism()));
  const n = Math.max(1, Math.min(total, scan.threads ?? Math.min(cores, Math.ceil(total / PER_THREAD_MIN))));
  const done = new Array<number>(n).fill(0);
  const workers: Array<{ worker: Worker; port: MessagePort }> = [];
  const stop = () => {
    for (const { worker, port } of workers) {
      port.close();
      void worker.terminate();
    }
  };
  try {
    const results = await new Promise<SliceResult[]>((resolve, reject) => {
      const out: SliceResult[] = [];
      let settled = false;
      const finish = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        scan.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(out);
      };
      const onAbort = () => finish(cancelled());
      scan.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(
        () => finish(new WardenError('InternalError', 'the replay took too long and was stopped')),
        scan.timeoutMs ?? 600_000,
      );
      for (let i = 0; i < n; i++) {
        const from = range.first + Math.floor((total * i) / n);
        const to = range.first + Math.floor((total * (i + 1)) / n) - 1;
        const { port1, port2 } = new MessageChannel();
        const job: ReplayJob = {
          port: port2,
          file: scan.file,
          from,
          to,
          pairs: scan.pairs,
          limit: REPLAY_MAX_DIFFERENCES,
          ...base,
        };
        const worker = startModuleWorker(import.meta.url, 'replay-worker', {
          execArgv: [],
          workerData: job,
          transferList: [port2],
        });
        worker.on('error', (error) =>
          finish(new WardenError('InternalError', `the replay failed: ${error.message}`)),
        );
        worker.on('exit', (code) => {
          if (code !== 0) finish(new WardenError('InternalError', `a replay thread ended (code ${code})`));
        });
        port1.on('message', (m: ReplayMessage) => {
          if (m.type === 'progress') {
            done[i] = m.done;
            scan.onProgress?.(
              done.reduce((a, b) => a + b, 0),
              total,
            );
          } else if (m.type === 'error')
            finish(new WardenError('InternalError', `the replay failed: ${m.message}`));
          else {
            out.push(m);
            if (out.length === n) finish();
          }
        });
        workers.push({ worker, port: port1 });
      }
    });
    return { ...base, ...mergeSlices(results), durationMs: Math.round(performance.now() - started) };
  } finally {
    stop();
  }
}
