// The body of the store's write transaction: chain mapped events onto the committed head,
// insert them, and work out the anchor state to write once the transaction commits.

import type Database from 'better-sqlite3';
import type { AuditRecord } from '../api/audit-types.ts';
import type { AnchorState } from './anchor.ts';
import { canonicalJson } from './canonical.ts';
import { type ChainRow, rowHash, storable } from './chain.ts';
import type { MappedEvent } from './ocsf.ts';

export interface Head {
  seq: number;
  hash: string;
}

export interface WriteBatch {
  mapped: MappedEvent[];
  now: number;
  extra: ((head: Head) => { mapped: MappedEvent[]; before: () => void }) | undefined;
  anchor: AnchorState | null;
}

/**
 * Insert `batch` after `head` (the committed head, or genesis); `firstSeq` reads the oldest
 * seq once the rows are in. Sets `batch.anchor`.
 */
export function writeRecords(
  insert: Database.Statement,
  head: Head,
  firstSeq: () => number | undefined,
  batch: WriteBatch,
): AuditRecord[] {
  const { now } = batch;
  const more = batch.extra?.(head);
  // Prune deletes before it appends its checkpoint, so the pages it frees can hold the
  // checkpoint even when the database is full.
  more?.before();
  const all = more ? [...batch.mapped, ...more.mapped] : batch.mapped;
  const out: AuditRecord[] = new Array(all.length);
  let prevSeq = head.seq;
  let prevHash = head.hash;
  for (let i = 0; i < all.length; i++) {
    const m = all[i] as MappedEvent;
    const seq = prevSeq + 1;
    const metadata = m.ocsf.metadata as Record<string, unknown>;
    metadata.uid = String(seq);
    metadata.logged_time = now;
    // Columns are hashed exactly as SQLite will return them (see storable()).
    const row: ChainRow = {
      seq,
      time: m.time,
      kind: storable(m.kind),
      sandbox_id: storable(m.sandboxId),
      user: storable(m.user),
      host: storable(m.host),
      outcome: storable(m.outcome),
      ocsf: canonicalJson(m.ocsf),
      prev_hash: prevHash,
    };
    const hash = rowHash(row);
    insert.run(
      seq,
      row.time,
      row.kind,
      row.sandbox_id,
      row.user,
      row.host,
      row.outcome,
      row.ocsf,
      prevHash,
      hash,
    );
    out[i] = {
      seq,
      time: m.time,
      kind: row.kind as AuditRecord['kind'],
      sandboxId: row.sandbox_id,
      user: row.user,
      host: row.host,
      outcome: row.outcome as AuditRecord['outcome'],
      ocsf: m.ocsf,
      prevHash,
      hash,
    };
    prevSeq = seq;
    prevHash = hash;
  }
  const first = firstSeq();
  batch.anchor = {
    headSeq: prevSeq,
    headHash: prevHash,
    count: first === undefined ? 0 : prevSeq - first + 1,
    written: now,
  };
  return out;
}
