// The hub's receipts as the OCSF mapping's witnesses: for a record at seq S, the first receipt
// the device kept at or above S (its batch head chains back to S, so the hub's signed
// checkpoint covers S). Read from the sync tables (sync-ledger.ts writes them); nothing when
// this store was never enrolled or the tables do not exist (an older file opened read-only).

import type Database from 'better-sqlite3';
import type { HubWitness } from './ocsf-integrity.ts';

interface ReceiptRow {
  seq: number;
  treeSize: number;
  receipt: string;
  received: number;
}

/** Receipts of one read (a page, an export): remembered so each is parsed once. */
export class Witnesses {
  readonly #first: Database.Statement | null;
  readonly #origin: string | null;
  readonly #parsed = new Map<number, HubWitness>();
  /** The receipt range last answered: [from, through] seqs that it covers. */
  #last: { from: number; through: number; witness: HubWitness | undefined } | null = null;

  constructor(db: Database.Database) {
    const tables = db
      .prepare(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('sync_link', 'sync_receipts')",
      )
      .pluck()
      .get() as number;
    this.#origin =
      tables === 2
        ? ((db.prepare('SELECT origin FROM sync_link WHERE id = 1').pluck().get() as string | undefined) ??
          null)
        : null;
    this.#first =
      this.#origin === null
        ? null
        : db.prepare(
            'SELECT seq, tree_size AS treeSize, receipt, received FROM sync_receipts WHERE seq >= ? ORDER BY seq LIMIT 1',
          );
  }

  /** The hub's witness of the record at `seq`, if a kept receipt covers it. */
  of(seq: number): HubWitness | undefined {
    if (!this.#first || this.#origin === null) return undefined;
    const last = this.#last;
    if (last && seq <= last.through && seq >= last.from) return last.witness;
    const row = this.#first.get(seq) as ReceiptRow | undefined;
    if (!row) return undefined;
    let witness = this.#parsed.get(row.seq);
    if (!witness) {
      let leafIndex = -1;
      try {
        leafIndex = Number((JSON.parse(row.receipt) as { leafIndex?: unknown }).leafIndex ?? -1);
      } catch {
        // An unreadable receipt still names its batch head and tree; verify --against-hub reports it.
      }
      witness = {
        origin: this.#origin,
        seq: row.seq,
        treeSize: row.treeSize,
        leafIndex,
        received: row.received,
      };
      this.#parsed.set(row.seq, witness);
    }
    // Seqs from this one up to the receipt's head share it (no kept receipt lies between).
    this.#last = { from: seq, through: row.seq, witness };
    return witness;
  }
}
