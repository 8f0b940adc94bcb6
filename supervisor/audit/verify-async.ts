// Verify without blocking the calling thread (the daemon's `audit.verify` task): the same
// check as verify.ts, on a read snapshot of its own. The slice workers (verifySlicesAsync)
// hash the records and add to a shared counter the caller polls for progress; when every
// slice is in order, verifyChain links them and checks the anchor (no walk left to do).
// On any doubt, the sequential walk that names the first bad record runs in a worker
// thread (verify-walk-worker.ts). Aborting the signal terminates whichever workers run.

import type { AuditChainStatus } from '../api/audit-types.ts';
import { readAnchor } from './anchor.ts';
import { awaitWorker } from './await-worker.ts';
import { ContextTable } from './contexts.ts';
import { seqBounds } from './seq-bounds.ts';
import { openDatabase } from './store-setup.ts';
import { chainStart, verifyChain } from './verify.ts';
import { type ContextRow, type SliceResult, verifySlicesAsync, verifyThreads } from './verify-parallel.ts';
import type { WalkJob, WalkMessage } from './verify-walk-worker.ts';

export interface AsyncVerifyOptions {
  /** Slice workers (default: one per core, at most 4). */
  threads?: number;
  signal?: AbortSignal;
  /** A verify-progress.ts counter the slice workers add the rows they check to. */
  progress?: Int32Array;
  /** Told once the snapshot is read: how many records the check covers. */
  onTotal?: (records: number) => void;
  /** Told when the parallel check found something and the walk naming it starts. */
  onDiagnose?: () => void;
}

/** Every slice hashed right and linked to the one before it, from the chain's start on. */
function allInOrder(slices: readonly SliceResult[] | null, startPrev: string, records: number): boolean {
  if (!slices) return false;
  let prev = startPrev;
  let checked = 0;
  for (const s of slices) {
    if (!s.ok || s.firstPrev !== prev || s.lastHash === null) return false;
    prev = s.lastHash;
    checked += s.records;
  }
  return checked === records;
}

export async function verifyChainAsync(
  file: string,
  anchorFile: string,
  o: AsyncVerifyOptions = {},
): Promise<AuditChainStatus> {
  const started = performance.now();
  // The anchor first, then the snapshot: the records it vouches for are all in the snapshot.
  const anchorRead = readAnchor(anchorFile);
  const { db, layout } = openDatabase(file, { readOnly: true });
  try {
    db.exec('BEGIN');
    const bounds = seqBounds(db);
    const contexts = new ContextTable(db, layout.contexts);
    const { first, last } = bounds;
    const total = first === null || last === null ? 0 : last - first + 1;
    o.onTotal?.(total);
    if (first === null || last === null) return verifyChain(db, layout, contexts, anchorRead);
    const start = chainStart(db, layout, first);
    // A missing start is found without a walk.
    if ('problem' in start) return verifyChain(db, layout, contexts, anchorRead, { threads: 0 });
    const threads = Math.max(1, Math.min(o.threads ?? verifyThreads(), Math.ceil(total / 25_000)));
    const rows = layout.contexts
      ? (db.prepare('SELECT id, body FROM contexts').all() as ContextRow[])
      : undefined;
    let slices: SliceResult[] | null = null;
    try {
      slices = await verifySlicesAsync(
        file,
        layout,
        first,
        last,
        anchorRead.state === 'ok' ? anchorRead.anchor.headSeq : -1,
        threads,
        {
          ...(rows ? { contexts: rows } : {}),
          ...(o.progress ? { progress: o.progress } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        },
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'Cancelled') throw error;
    }
    if (allInOrder(slices, start.prevHash, total)) {
      const status = verifyChain(db, layout, contexts, anchorRead, {
        file,
        threads,
        parallelMin: 0,
        slices: slices as SliceResult[],
      });
      return { ...status, durationMs: Math.round((performance.now() - started) * 10) / 10 };
    }
    o.onDiagnose?.();
    const job: WalkJob = { file, anchorRead };
    const message = await awaitWorker<WalkMessage>('verify-walk-worker', job, {
      what: 'verify',
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if ('error' in message) throw new Error(`the audit trail could not be read: ${message.error}`);
    return { ...message.status, durationMs: Math.round((performance.now() - started) * 10) / 10 };
  } finally {
    if (db.inTransaction) db.exec('COMMIT');
    db.close();
  }
}
