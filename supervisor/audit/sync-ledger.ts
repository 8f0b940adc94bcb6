// The sync link's side of the audit database (issue 15): the hub this store is enrolled
// with, its position (the last seq and hash the hub acknowledged, the last log tree the
// device verified), the receipts, and the chain rows read as the hub's wire records. The
// records themselves are never written here: the store is the link's buffer. A connection of
// its own (the daemon's writer thread owns the records); small transactions, WAL.

import type Database from 'better-sqlite3';
import type { HubGap, HubReceipt, HubRecord, HubSeqHash } from '../api/hub.ts';
import { GENESIS_HASH } from './chain.ts';
import { openDatabase } from './store-setup.ts';

export interface SyncLinkRow {
  hubUrl: string;
  hubKey: string;
  origin: string;
  tlsPin: string | null;
  deviceId: string;
  ackedSeq: number;
  ackedHash: string;
  treeSize: number;
  /** base64 of the root of the tree of `treeSize` leaves ('' when none seen). */
  treeRoot: string;
  /** Why the link stopped for good (revoked, forked); null while it runs. */
  stopped: string | null;
  enrolled: number;
}

export interface StoredReceipt {
  seq: number;
  hash: string;
  treeSize: number;
  receipt: HubReceipt;
  received: number;
}

/**
 * Receipts kept (one arrives per batch): the newest RECEIPTS_RECENT, and older ones thinned
 * to the first at or after each multiple of RECEIPT_SPACING seqs. `warden audit prove SEQ`
 * ends its chain segment at the first receipt at or above SEQ, so an old proof carries at
 * most about two spacings of records; `verify --against-hub` bisects over what is kept.
 */
export const RECEIPTS_RECENT = 1000;
export const RECEIPT_SPACING = 10_000;
/** Thinning runs after this many acknowledgements. */
const THIN_EVERY = 64;

const ROW = `hub_url AS hubUrl, hub_key AS hubKey, origin, tls_pin AS tlsPin, device_id AS deviceId,
  acked_seq AS ackedSeq, acked_hash AS ackedHash, tree_size AS treeSize, tree_root AS treeRoot,
  stopped, enrolled`;

const RECORD = `r.seq, r.time, r.kind, r.sandbox_id, r.user, r.host, r.outcome, r.body,
  c.body AS ctx, r.logged, r.prev_hash, r.hash`;

export class SyncLedger {
  readonly #db: Database.Database;
  #acks = 0;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Open the audit database at `file` (created and migrated when needed, unless read-only). */
  static open(file: string, busyTimeoutMs = 2000, readOnly = false): SyncLedger {
    return new SyncLedger(openDatabase(file, { durability: 'normal', busyTimeoutMs, readOnly }).db);
  }

  link(): SyncLinkRow | null {
    const table = this.#db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_link'")
      .get();
    if (!table) return null;
    return (this.#db.prepare(`SELECT ${ROW} FROM sync_link WHERE id = 1`).get() as SyncLinkRow) ?? null;
  }

  /** Record a new enrollment (replacing any earlier one and its receipts). */
  enroll(row: Omit<SyncLinkRow, 'stopped'>): void {
    this.#db
      .transaction(() => {
        this.#db.prepare('DELETE FROM sync_receipts').run();
        this.#db
          .prepare(
            `INSERT OR REPLACE INTO sync_link (id, hub_url, hub_key, origin, tls_pin, device_id, acked_seq,
              acked_hash, tree_size, tree_root, stopped, enrolled) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
          )
          .run(
            row.hubUrl,
            row.hubKey,
            row.origin,
            row.tlsPin,
            row.deviceId,
            row.ackedSeq,
            row.ackedHash,
            row.treeSize,
            row.treeRoot,
            row.enrolled,
          );
      })
      .immediate();
  }

  /** A verified acknowledgement: the new position, the tree it proved and its receipt, at once. */
  acknowledge(receipt: HubReceipt, treeRoot: string, received: number): void {
    const { leaf } = receipt;
    this.#db
      .transaction(() => {
        this.#db
          .prepare(
            'UPDATE sync_link SET acked_seq = ?, acked_hash = ?, tree_size = ?, tree_root = ? WHERE id = 1',
          )
          .run(leaf.seq, leaf.hash, receipt.treeSize, treeRoot);
        this.#db
          .prepare(
            'INSERT OR REPLACE INTO sync_receipts (seq, hash, tree_size, receipt, received) VALUES (?, ?, ?, ?, ?)',
          )
          .run(leaf.seq, leaf.hash, receipt.treeSize, JSON.stringify(receipt), received);
      })
      .immediate();
    if (++this.#acks % THIN_EVERY === 0) this.thinReceipts();
  }

  /** Keep the receipts bounded (RECEIPTS_RECENT, RECEIPT_SPACING); returns how many went. */
  thinReceipts(recent = RECEIPTS_RECENT, spacing = RECEIPT_SPACING): number {
    return this.#db
      .prepare(
        `DELETE FROM sync_receipts WHERE seq < (SELECT seq FROM sync_receipts ORDER BY seq DESC LIMIT 1 OFFSET ?)
          AND seq NOT IN (SELECT min(seq) FROM sync_receipts GROUP BY seq / CAST(? AS INTEGER))`,
      )
      .run(Math.max(0, recent - 1), spacing).changes;
  }

  /** Move the position to what the hub holds (after a reply was lost; the hashes were compared). */
  advance(seq: number, hash: string): void {
    this.#db.prepare('UPDATE sync_link SET acked_seq = ?, acked_hash = ? WHERE id = 1').run(seq, hash);
  }

  /** The last log tree this device verified (from a heartbeat's checkpoint). */
  setTree(size: number, root: string): void {
    this.#db.prepare('UPDATE sync_link SET tree_size = ?, tree_root = ? WHERE id = 1').run(size, root);
  }

  /** Stop the link for good with a reason (revoked, forked), or clear it (null). */
  setStopped(reason: string | null): void {
    this.#db.prepare('UPDATE sync_link SET stopped = ? WHERE id = 1').run(reason);
  }

  head(): { seq: number; hash: string } | null {
    return (
      (this.#db.prepare('SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1').get() as {
        seq: number;
        hash: string;
      }) ?? null
    );
  }

  /** Where an upload of the whole trail starts: its first record's seq and prev_hash. */
  start(): { seq: number; prevHash: string } {
    const row = this.#db.prepare('SELECT seq, prev_hash FROM records ORDER BY seq LIMIT 1').get() as
      | { seq: number; prev_hash: string }
      | undefined;
    return row ? { seq: row.seq, prevHash: row.prev_hash } : { seq: 1, prevHash: GENESIS_HASH };
  }

  /** Rows above `seq`, as wire records: at most `maxRecords`, and about `maxBytes` of text (at least one). */
  rowsAfter(seq: number, maxRecords: number, maxBytes: number): HubRecord[] {
    const rows = this.#db
      .prepare(
        `SELECT ${RECORD} FROM records r LEFT JOIN contexts c ON c.id = r.ctx WHERE r.seq > ? ORDER BY r.seq LIMIT ?`,
      )
      .all(seq, maxRecords) as HubRecord[];
    let bytes = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      bytes += r.body.length + (r.ctx?.length ?? 0) + 400;
      if (bytes > maxBytes && i > 0) return rows.slice(0, i);
    }
    return rows;
  }

  /** The local hash at each seq (null: no record there). */
  hashesAt(seqs: readonly number[]): HubSeqHash[] {
    const get = this.#db.prepare('SELECT hash FROM records WHERE seq = ?').pluck();
    return seqs.map((seq) => ({ seq, hash: (get.get(seq) as string | undefined) ?? null }));
  }

  /** When the record at `seq` was appended (epoch ms), if it is there. */
  loggedAt(seq: number): number | null {
    const row = this.#db.prepare('SELECT logged, time FROM records WHERE seq = ?').get(seq) as
      | { logged: number | null; time: number }
      | undefined;
    return row ? (row.logged ?? row.time) : null;
  }

  /** The first seq above `seq` still in the store (records below it were pruned), or null. */
  firstAfter(seq: number): number | null {
    return (
      (this.#db.prepare('SELECT seq FROM records WHERE seq > ? ORDER BY seq LIMIT 1').pluck().get(seq) as
        | number
        | undefined) ?? null
    );
  }

  /**
   * The retention checkpoint record that accounts for records up to `throughSeq` being gone
   * (its seq, and the hash of the last record it pruned), or null.
   */
  pruneCheckpoint(throughSeq: number): HubGap | null {
    const rows = this.#db
      .prepare("SELECT seq, body, ctx FROM records WHERE kind = 'audit.checkpoint' AND seq > ? ORDER BY seq")
      .raw(true)
      .iterate(throughSeq) as IterableIterator<[number, string, number | null]>;
    for (const [seq, text, ctx] of rows) {
      try {
        // Schema 2: the compact checkpoint event; schema 1: its OCSF object (as verify.ts reads it).
        const r = JSON.parse(text) as {
          pruned?: { throughSeq?: unknown; lastHash?: unknown };
          unmapped?: { pruned?: { through_seq?: unknown; last_hash?: unknown } };
        };
        const through = ctx === null ? r.unmapped?.pruned?.through_seq : r.pruned?.throughSeq;
        const last = ctx === null ? r.unmapped?.pruned?.last_hash : r.pruned?.lastHash;
        if (through === throughSeq && typeof last === 'string')
          return { checkpointSeq: seq, throughSeq, lastHash: last };
      } catch {
        // An unreadable checkpoint accounts for nothing (its own hash check names it).
      }
    }
    return null;
  }

  receiptCount(): number {
    return this.#db.prepare('SELECT count(*) FROM sync_receipts').pluck().get() as number;
  }

  /** The first receipt at or above `seq` (the countersigned head a proof of `seq` ends at). */
  receiptFrom(seq: number): StoredReceipt | null {
    const row = this.#db
      .prepare(
        'SELECT seq, hash, tree_size AS treeSize, receipt, received FROM sync_receipts WHERE seq >= ? ORDER BY seq LIMIT 1',
      )
      .get(seq) as (Omit<StoredReceipt, 'receipt'> & { receipt: string }) | undefined;
    return row ? { ...row, receipt: JSON.parse(row.receipt) as HubReceipt } : null;
  }

  /** Every receipt, oldest first (bisection over countersigned heads). */
  receipts(): StoredReceipt[] {
    const rows = this.#db
      .prepare('SELECT seq, hash, tree_size AS treeSize, receipt, received FROM sync_receipts ORDER BY seq')
      .all() as Array<Omit<StoredReceipt, 'receipt'> & { receipt: string }>;
    return rows.map((r) => ({ ...r, receipt: JSON.parse(r.receipt) as HubReceipt }));
  }

  /** The rows from `from` through `through` as wire records (a proof's chain segment). */
  segment(from: number, through: number): HubRecord[] {
    return this.#db
      .prepare(
        `SELECT ${RECORD} FROM records r LEFT JOIN contexts c ON c.id = r.ctx WHERE r.seq BETWEEN ? AND ? ORDER BY r.seq`,
      )
      .all(from, through) as HubRecord[];
  }

  close(): void {
    this.#db.close();
  }
}
