// Retention planning: which oldest records go. Limits by age, by count and by size; the
// furthest cut wins. The newest record always stays (the chain's head).

import type Database from 'better-sqlite3';
import { AuditRetentionError } from './errors.ts';
import type { CheckpointEvent } from './ocsf.ts';
import { seqBounds } from './seq-bounds.ts';

export interface RetentionPolicy {
  /** Remove records whose time is older than this many milliseconds. */
  maxAgeMs?: number;
  /** Keep at most this many records (plus the checkpoint). */
  maxRecords?: number;
  /** Keep the database under about this many bytes (estimated from the average record size). */
  maxBytes?: number;
}

export interface PrunePlan {
  fromSeq: number;
  throughSeq: number;
  count: number;
  firstTime: number;
  lastTime: number;
  reason: string;
}

export function planPrune(db: Database.Database, policy: RetentionPolicy, now: number): PrunePlan | null {
  const bounds = seqBounds(db);
  if (bounds.first === null || bounds.last === null) return null;
  const rows = bounds.last - bounds.first + 1;
  let through = bounds.first - 1;
  const reasons: string[] = [];

  if (policy.maxAgeMs !== undefined) {
    const cutoff = now - policy.maxAgeMs;
    // The prefix of records older than the cutoff (stops at the first record that is not).
    const firstKept = db
      .prepare('SELECT seq FROM records WHERE time >= ? ORDER BY seq LIMIT 1')
      .pluck()
      .get(cutoff) as number | undefined;
    const cut = (firstKept ?? bounds.last + 1) - 1;
    if (cut > through) {
      through = cut;
      reasons.push(`older than ${new Date(cutoff).toISOString()}`);
    }
  }
  if (policy.maxRecords !== undefined && rows > policy.maxRecords) {
    const cut = bounds.last - Math.max(0, Math.floor(policy.maxRecords));
    if (cut > through) {
      through = cut;
      reasons.push(`more than ${policy.maxRecords} records`);
    }
  }
  // Records the team hub has not acknowledged stay (the store is the sync link's buffer);
  // only the size cap below, the store's hard limit, may cut into them, and the checkpoint
  // prune leaves then shows the hub the gap.
  const acked = acknowledgedSeq(db);
  if (acked !== null && through > acked) {
    through = Math.max(bounds.first - 1, acked);
    reasons.push(`kept from seq ${acked + 1} on: not yet acknowledged by the team hub`);
  }
  if (policy.maxBytes !== undefined) {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    const used = (pages - free) * pageSize;
    if (used > policy.maxBytes) {
      // What an empty database takes: a root page per table and index, the schema, the
      // header and auto-vacuum's pointer map. The rest grows with the records.
      const objects = db.prepare('SELECT count(*) FROM sqlite_master').pluck().get() as number;
      const fixed = Math.min(used, (objects + 2) * pageSize);
      const perRecord = Math.max(1, (used - fixed) / rows);
      const keep = Math.max(0, Math.floor((policy.maxBytes - fixed) / perRecord));
      const cut = bounds.last - keep;
      if (cut > through) {
        through = cut;
        reasons.push(`database above ${policy.maxBytes} bytes`);
      }
    }
  }
  through = Math.min(through, bounds.last - 1);
  if (through < bounds.first) return null;
  if (acked !== null && through > acked)
    reasons.push('records the team hub has not acknowledged were removed');
  const times = db
    .prepare('SELECT min(time) AS firstTime, max(time) AS lastTime FROM records WHERE seq <= ?')
    .get(through) as { firstTime: number; lastTime: number };
  return {
    fromSeq: bounds.first,
    throughSeq: through,
    count: through - bounds.first + 1,
    firstTime: times.firstTime,
    lastTime: times.lastTime,
    reason: reasons.join('; '),
  };
}

/** The last seq the team hub acknowledged, or null when the store is not enrolled. */
export function acknowledgedSeq(db: Database.Database): number | null {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_link'").get();
  if (!table) return null;
  const seq = db.prepare('SELECT acked_seq FROM sync_link WHERE id = 1').pluck().get() as number | undefined;
  return seq ?? null;
}

/** Receipts of the team hub for records now removed go with them (they prove nothing left). */
export function pruneReceipts(db: Database.Database, throughSeq: number): void {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_receipts'")
    .get();
  if (table) db.prepare('DELETE FROM sync_receipts WHERE seq <= ?').run(throughSeq);
}

/**
 * The write step of a prune, run inside the commit on the head it found: the checkpoint
 * record that carries the hash, seq range and count of what is removed (so the remaining
 * chain still verifies), and, before it is appended, the removal itself.
 */
export function checkpointStep(
  db: Database.Database,
  plan: PrunePlan,
  o: { time: number; actor: string; segments: { dropThrough(seq: number): void } | null },
): (head: { seq: number }) => { events: CheckpointEvent[]; before: () => void } {
  return (head) => {
    const last = db.prepare('SELECT hash FROM records WHERE seq = ?').pluck().get(plan.throughSeq);
    if (typeof last !== 'string' || head.seq <= plan.throughSeq) {
      throw new AuditRetentionError('retention plan is stale; run it again', plan.throughSeq);
    }
    const checkpoint: CheckpointEvent = {
      type: 'audit.checkpoint',
      time: new Date(o.time).toISOString(),
      user: o.actor,
      reason: plan.reason,
      pruned: {
        fromSeq: plan.fromSeq,
        throughSeq: plan.throughSeq,
        count: plan.count,
        lastHash: last,
        firstTime: plan.firstTime,
        lastTime: plan.lastTime,
      },
    };
    return {
      events: [checkpoint],
      before: () => {
        db.prepare('DELETE FROM records WHERE seq <= ?').run(plan.throughSeq);
        pruneReceipts(db, plan.throughSeq);
        o.segments?.dropThrough(plan.throughSeq);
      },
    };
  };
}
