// One slice of a what-if replay (run-replay.ts), in its own worker thread on its own
// read-only connection: the request records of seqs from…to, counted by shape, then every
// distinct shape decided with the policy before and after the change (decide-shapes.ts).
// Only the shapes decided differently are posted back, so the daemon's thread merges a few
// rows, never a million.
//
// SQLite reads the four request fields out of each compact record in one json_extract (one
// parse of the body per row) and hands back one key string per row; the counting is a Map.
// Read in chunks of CHUNK seqs inside one read transaction (one snapshot), with progress
// posted after each chunk. Cancel = the daemon terminates this thread.

import { createRequire } from 'node:module';
import { type MessagePort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { ReplayDifference } from '../api/replay-types.ts';
import { PairDecider, parseShapeKey, type ReplayPairs } from './decide-shapes.ts';

export interface ReplayJob {
  port: MessagePort;
  file: string;
  from: number;
  to: number;
  since?: number;
  sandbox?: string;
  pairs: ReplayPairs;
  /** At most this many differing shapes are posted (the most seen first). */
  limit: number;
}

/** A difference as posted: times as epoch ms (the merge keeps min and max). */
export type SliceDifference = Omit<ReplayDifference, 'firstSeen' | 'lastSeen'> & {
  first: number;
  last: number;
};

export type ReplayMessage =
  | { type: 'progress'; done: number }
  | {
      type: 'result';
      scanned: number;
      shapes: number;
      skipped: number;
      requestsDiffering: number;
      differences: SliceDifference[];
      truncated: boolean;
    }
  | { type: 'error'; message: string };

const CHUNK = 20_000;

interface Count {
  n: number;
  first: number;
  last: number;
}

export function scanSql(job: Pick<ReplayJob, 'since' | 'sandbox'>): string {
  return (
    "SELECT concat(coalesce(sandbox_id, ''), char(0), coalesce(host, ''), char(0), " +
    "json_extract(body, '$.scheme', '$.port', '$.method', '$.path')), time FROM records " +
    "WHERE seq >= ? AND seq <= ? AND kind = 'request.decided'" +
    (job.since !== undefined ? ' AND time >= ?' : '') +
    (job.sandbox !== undefined ? ' AND sandbox_id = ?' : '')
  );
}

function count(db: Database.Database, job: ReplayJob): { counts: Map<string, Count>; scanned: number } {
  const select = db.prepare(scanSql(job)).raw(true);
  const extra: unknown[] = [];
  if (job.since !== undefined) extra.push(job.since);
  if (job.sandbox !== undefined) extra.push(job.sandbox);
  const counts = new Map<string, Count>();
  let scanned = 0;
  db.transaction(() => {
    for (let lo = job.from; lo <= job.to; lo += CHUNK) {
      const hi = Math.min(job.to, lo + CHUNK - 1);
      const rows = select.all(lo, hi, ...extra) as Array<[string, number]>;
      scanned += rows.length;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as [string, number];
        const c = counts.get(row[0]);
        if (c === undefined) counts.set(row[0], { n: 1, first: row[1], last: row[1] });
        else {
          c.n++;
          if (row[1] < c.first) c.first = row[1];
          if (row[1] > c.last) c.last = row[1];
        }
      }
      job.port.postMessage({ type: 'progress', done: hi - job.from + 1 } satisfies ReplayMessage);
    }
  })();
  return { counts, scanned };
}

export function replaySlice(
  db: Database.Database,
  job: ReplayJob,
): Extract<ReplayMessage, { type: 'result' }> {
  const { counts, scanned } = count(db, job);
  const decider = new PairDecider(job.pairs);
  const differences: SliceDifference[] = [];
  let skipped = 0;
  let requestsDiffering = 0;
  for (const [key, c] of counts) {
    const shape = parseShapeKey(key);
    if (!shape) {
      skipped += c.n;
      continue;
    }
    const diff = decider.differs(shape);
    if (!diff) continue;
    requestsDiffering += c.n;
    differences.push({
      sandboxId: shape.sandboxId,
      ...shape.facts,
      count: c.n,
      first: c.first,
      last: c.last,
      before: diff.before,
      after: diff.after,
    });
  }
  differences.sort((a, b) => b.count - a.count);
  const truncated = differences.length > job.limit;
  if (truncated) differences.length = job.limit;
  return {
    type: 'result',
    scanned,
    shapes: counts.size,
    skipped,
    requestsDiffering,
    differences,
    truncated,
  };
}

function main(): void {
  const job = workerData as ReplayJob;
  try {
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    const db = new Driver(job.file, { readonly: true, fileMustExist: true });
    try {
      job.port.postMessage(replaySlice(db, job));
    } finally {
      db.close();
    }
  } catch (error) {
    job.port.postMessage({
      type: 'error',
      message: String((error as Error)?.message || error),
    } satisfies ReplayMessage);
  } finally {
    job.port.close();
  }
}

// Only as a worker's entry (the unit tests import replaySlice on the main thread).
if (workerData && (workerData as Partial<ReplayJob>).port) main();
