// Chain verification: stream every row in seq order, recompute its hash from its canonical
// form and the previous hash, then compare the head with the anchor file. Names the first
// bad record and what is wrong with it.

import type Database from 'better-sqlite3';
import type { AuditAnchorStatus, AuditChainProblem, AuditChainStatus } from '../api/audit-types.ts';
import type { AnchorRead } from './anchor.ts';
import { GENESIS_HASH, rowHash } from './chain.ts';
import type { ContextTable } from './contexts.ts';
import type { RawRow } from './records.ts';
import type { Layout } from './schema.ts';
import { seqBounds } from './seq-bounds.ts';
import { type ContextRow, type SliceResult, verifySlices, verifyThreads } from './verify-parallel.ts';

/** Below this many records verify walks the chain on the calling thread. */
export const PARALLEL_VERIFY_MIN = 50_000;

export interface VerifyOptions {
  /** Check only the records up to this seq (retention checks what it removes); skips the anchor. */
  throughSeq?: number;
  /** The database file: lets verify hash slices of a large chain in worker threads. */
  file?: string;
  /** Worker threads for a large chain (default: one per core, at most 4; 0 = none). */
  threads?: number;
  /** Use the threads from this many records on (default PARALLEL_VERIFY_MIN). */
  parallelMin?: number;
  /** Slices already checked by the caller (verify-async.ts), used instead of starting workers. */
  slices?: readonly SliceResult[];
}

/** Where the chain must start: genesis at seq 1, or the hash a retention checkpoint vouches for. */
export function chainStart(
  db: Database.Database,
  layout: Layout,
  first: number,
): { prevHash: string } | AuditChainProblem {
  if (first === 1) return { prevHash: GENESIS_HASH };
  const checkpoints = db
    .prepare(
      `SELECT ${layout.body}, ${layout.contexts ? 'ctx' : 'NULL'} FROM records WHERE kind = 'audit.checkpoint' ORDER BY seq DESC`,
    )
    .raw(true)
    .iterate() as IterableIterator<[string, number | null]>;
  for (const [text, ctx] of checkpoints) {
    try {
      // Schema 2: the compact checkpoint event; schema 1: its OCSF object.
      const record = JSON.parse(text) as {
        pruned?: { throughSeq?: unknown; lastHash?: unknown };
        unmapped?: { pruned?: { through_seq?: unknown; last_hash?: unknown } };
      };
      const through = ctx === null ? record.unmapped?.pruned?.through_seq : record.pruned?.throughSeq;
      const last = ctx === null ? record.unmapped?.pruned?.last_hash : record.pruned?.lastHash;
      if (through === first - 1 && typeof last === 'string') return { prevHash: last };
    } catch {
      // An unreadable checkpoint fails its own hash check when the walk reaches it.
    }
  }
  return {
    seq: first - 1,
    problem: `records before seq ${first} are missing and no retention checkpoint accounts for them (deleted)`,
  };
}

export function verifyChain(
  db: Database.Database,
  layout: Layout,
  contexts: ContextTable,
  anchorRead: AnchorRead,
  options: VerifyOptions = {},
): AuditChainStatus {
  const started = performance.now();
  const bounds = seqBounds(db);
  const through = options.throughSeq ?? bounds.last ?? 0;
  const anchorAt = anchorRead.state === 'ok' ? anchorRead.anchor.headSeq : -1;
  let firstBad: AuditChainProblem | undefined;
  let checked = 0;
  let head: { seq: number; hash: string } | null = null;
  let hashAtAnchor: string | null = null;

  if (bounds.first !== null && bounds.last !== null) {
    const start = chainStart(db, layout, bounds.first);
    if ('problem' in start) {
      firstBad = start;
    } else {
      const threads = options.threads ?? verifyThreads();
      const fast =
        options.file !== undefined &&
        threads > 0 &&
        through - bounds.first + 1 >= (options.parallelMin ?? PARALLEL_VERIFY_MIN)
          ? parallelWalk(
              db,
              options.file,
              layout,
              bounds.first,
              through,
              anchorAt,
              threads,
              start.prevHash,
              options.slices,
            )
          : null;
      if (fast) {
        checked = fast.checked;
        head = fast.head;
        hashAtAnchor = fast.hashAtAnchor;
      }
      let expectedSeq = bounds.first;
      let prevHash = start.prevHash;
      // The sequential walk: the whole check for a small chain, and the diagnosis (which
      // record is bad, and how) whenever the parallel walk did not find everything in order.
      if (!fast) {
        const rows = db
          .prepare(`SELECT ${layout.columns} FROM records WHERE seq <= ? ORDER BY seq`)
          .raw(true)
          .iterate(through) as IterableIterator<RawRow>;
        for (const [
          seq,
          time,
          kind,
          sandboxId,
          user,
          host,
          outcome,
          body,
          rowPrev,
          hash,
          ctxId,
          logged,
        ] of rows) {
          if (seq !== expectedSeq) {
            firstBad = {
              seq: expectedSeq,
              problem:
                seq - expectedSeq === 1
                  ? `record ${expectedSeq} is missing (deleted): the chain jumps from ${expectedSeq - 1} to ${seq}`
                  : `records ${expectedSeq}…${seq - 1} are missing (deleted): the chain jumps from ${expectedSeq - 1} to ${seq}`,
            };
            break;
          }
          if (rowPrev !== prevHash) {
            firstBad = {
              seq,
              problem:
                `its prev_hash does not match the hash of record ${seq - 1}: a record was inserted, ` +
                'removed or moved before it',
            };
            break;
          }
          // Rows up to the migration are schema 1 (no context), every later row schema 2.
          const legacy = seq <= layout.legacyThrough;
          const ctx = ctxId === null ? null : contexts.text(ctxId);
          const computed =
            legacy === (ctxId === null) && (legacy || (ctx !== null && logged !== null))
              ? rowHash({
                  seq,
                  time,
                  kind,
                  sandbox_id: sandboxId,
                  user,
                  host,
                  outcome,
                  body,
                  ctx,
                  logged,
                  prev_hash: rowPrev,
                })
              : null;
          if (computed !== hash) {
            firstBad = { seq, problem: 'its content does not match its hash: the record was edited' };
            break;
          }
          if (seq === anchorAt) hashAtAnchor = hash;
          checked++;
          expectedSeq = seq + 1;
          prevHash = hash;
          head = { seq, hash };
        }
      }
    }
  }

  let anchor: AuditAnchorStatus = { state: anchorRead.state === 'ok' ? 'match' : anchorRead.state };
  if (options.throughSeq === undefined) {
    const lastSeq = bounds.last ?? 0;
    const rows = bounds.first === null || bounds.last === null ? 0 : bounds.last - bounds.first + 1;
    if (anchorRead.state === 'missing') {
      if (rows > 0) {
        firstBad ??= {
          seq: lastSeq,
          problem: 'the anchor file is missing: truncation or rollback of the database cannot be ruled out',
        };
      }
    } else if (anchorRead.state === 'broken') {
      firstBad ??= {
        seq: lastSeq,
        problem: 'the anchor file is unreadable (both slots fail their checksum)',
      };
    } else {
      const a = anchorRead.anchor;
      anchor = { state: 'match', headSeq: a.headSeq, count: a.count };
      if (a.headSeq > lastSeq) {
        firstBad ??= {
          seq: lastSeq + 1,
          problem:
            `the anchor records head seq ${a.headSeq} (${a.count} records) but the database ends at ` +
            `${lastSeq === 0 ? 'no record' : `seq ${lastSeq}`}: records were truncated or an older copy of the database was restored`,
        };
      } else if (
        firstBad === undefined &&
        a.headSeq > 0 &&
        bounds.first !== null &&
        a.headSeq >= bounds.first
      ) {
        if (hashAtAnchor !== a.headHash) {
          firstBad = {
            seq: a.headSeq,
            problem:
              'it does not match the head hash in the anchor: the database was replaced by a different or older copy',
          };
        } else if (a.headSeq === lastSeq && a.count !== rows) {
          firstBad = {
            seq: lastSeq,
            problem: `the anchor counts ${a.count} records but the database holds ${rows}`,
          };
        }
      }
      if (a.headSeq < lastSeq) anchor = { ...anchor, state: 'behind', unanchored: lastSeq - a.headSeq };
    }
  }

  const dbHead =
    options.throughSeq === undefined
      ? ((db.prepare('SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1').get() as
          | { seq: number; hash: string }
          | undefined) ?? null)
      : head;
  const status: AuditChainStatus = {
    ok: firstBad === undefined,
    records: checked,
    head: dbHead,
    anchor,
    startSeq: bounds.first,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  };
  if (firstBad) status.firstBad = firstBad;
  return status;
}

/** All slices verified and linked to each other and to the chain's start; null otherwise. */
function parallelWalk(
  db: Database.Database,
  file: string,
  layout: Layout,
  first: number,
  through: number,
  anchorAt: number,
  threads: number,
  startPrev: string,
  given?: readonly SliceResult[],
): { checked: number; head: { seq: number; hash: string }; hashAtAnchor: string | null } | null {
  // Read after `through`: contexts are only ever added, so every one its records use is here.
  const contexts =
    layout.contexts && !given
      ? (db.prepare('SELECT id, body FROM contexts').all() as ContextRow[])
      : undefined;
  const slices = given ?? verifySlices(file, layout, first, through, anchorAt, threads, { contexts });
  if (!slices) return null;
  let prev = startPrev;
  let checked = 0;
  let hashAtAnchor: string | null = null;
  for (const slice of slices) {
    if (!slice.ok || slice.firstPrev !== prev || slice.lastHash === null) return null;
    prev = slice.lastHash;
    checked += slice.records;
    hashAtAnchor ??= slice.anchorHash;
  }
  if (checked !== through - first + 1) return null;
  return { checked, head: { seq: through, hash: prev }, hashAtAnchor };
}
