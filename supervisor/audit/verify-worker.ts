// One slice of verify's parallel walk (verify-parallel.ts), in its own worker thread: the
// per-row check of verify.ts (chain.ts canonicalRow + rowHash) over records from…to, on a
// read-only connection. Any hash that does not match sends verify to the sequential walk,
// so this can only ever confirm a chain whose every record hashes correctly.

import { hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { type MessagePort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { addDone } from './verify-progress.ts';
import { SliceFlag } from './worker-slots.ts';

/**
 * better-sqlite3 is required, not imported: loaded as an ES module (a CommonJS package
 * translated on import), the four workers of a verify took ~35 ms longer to start. Inside
 * main's try, so a driver that cannot load is reported like any other failure.
 */
function loadDriver(): typeof Database {
  return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
}

/** What a slice worker is given. */
export interface SliceJob {
  /** Where the result goes (posted once, then closed). */
  port: MessagePort;
  /** The completion flags (SliceFlag), one slot per slice; this slice's is `index`. */
  flag: Int32Array;
  index: number;
  file: string;
  /** sliceSql(): hash, prev_hash ‖ canonical row, flags (SliceRowFlag). */
  sql: string;
  from: number;
  to: number;
  anchorAt: number;
  legacyThrough: number;
  /** The async verify's shared counter (verify-progress.ts): rows checked, bumped per chunk. */
  progress?: Int32Array;
}

export interface SliceResult {
  ok: boolean;
  /** prev_hash of the slice's first record. */
  firstPrev: string | null;
  /** hash of the slice's last record. */
  lastHash: string | null;
  /** hash of the record at `anchorAt`, when the slice holds it. */
  anchorHash: string | null;
  records: number;
  error?: string;
}

/** A row of sliceSql(): the stored hash, prev_hash ‖ canonical row, SliceRowFlag bits. */
type SliceRow = [hash: string, text: string, flags: number];

/** The flags sliceSql() computes for a row. */
const SliceRowFlag = {
  /** No context: a schema 1 row. */
  LEGACY: 1,
  /** No logged time (a schema 2 row must have one). */
  NO_LOGGED: 2,
  /** prev_hash is not 64 bytes (then its text cannot be the previous record's hash). */
  BAD_PREV: 4,
} as const;
const LEGACY_FLAGS = SliceRowFlag.LEGACY | SliceRowFlag.NO_LOGGED;

// Read in chunks of CHUNK seqs by all(): a quarter less CPU per row than iterate() here
// (one call into SQLite per chunk instead of one per row), inside one read transaction so
// every chunk sees the same snapshot.
const CHUNK = 10000;

/**
 * The database file mapped into memory (up to SQLite's cap, 2 GB): pages are read in place
 * instead of copied by a read() each, about 0.25 µs less CPU per record. Read-only, on this
 * slice's own connection, closed when the slice is done.
 */
const MMAP_BYTES = 2 ** 31;

function checkSlice(db: Database.Database, job: SliceJob): SliceResult {
  const { sql, from, to, anchorAt, legacyThrough } = job;
  db.pragma(`mmap_size = ${MMAP_BYTES}`);
  // SQLite assembles prev_hash ‖ canonical row (json_quote escapes as JSON.stringify does;
  // were it ever to differ, the hash would not match and verify would fall back to the
  // sequential walk, which builds the text in JavaScript).
  const select = db.prepare<[number, number], SliceRow>(sql).raw(true);
  let prev: string | null = null;
  let firstPrev: string | null = null;
  let anchorHash: string | null = null;
  let records = 0;
  let ok = true;
  db.transaction(() => {
    for (let lo = from; ok && lo <= to; lo += CHUNK) {
      const hi = Math.min(to, lo + CHUNK - 1);
      const rows = select.all(lo, hi) as unknown as SliceRow[];
      // seq is the integer primary key: as many rows as seqs in lo…hi means every one of
      // them, in order, so row i is seq lo + i (the seq is also inside the hashed text).
      if (rows.length !== hi - lo + 1) {
        ok = false;
        break;
      }
      addDone(job.progress, rows.length);
      for (let i = 0; i < rows.length; i++) {
        // Indexed reads, not destructuring: this loop runs once per record.
        const r = rows[i] as SliceRow;
        const seq = lo + i;
        const rowHash = r[0];
        const text = r[1];
        const flags = r[2];
        // Rows up to the migration are schema 1 (no context, a logged time or not); later
        // rows have context and time; any row's prev_hash is 64 bytes.
        const legacy = seq <= legacyThrough;
        const fits = legacy ? (flags | SliceRowFlag.NO_LOGGED) === LEGACY_FLAGS : flags === 0;
        if (!fits || typeof text !== 'string' || (prev !== null && !text.startsWith(prev))) {
          ok = false;
          break;
        }
        // prev_hash is 64 bytes (flags) and its text starts with the previous hash: it is that hash.
        if (hash('sha256', text, 'hex') !== rowHash) {
          ok = false;
          break;
        }
        if (firstPrev === null) firstPrev = text.slice(0, 64);
        if (seq === anchorAt) anchorHash = rowHash;
        prev = rowHash;
        records++;
      }
    }
  })();
  if (records !== to - from + 1) ok = false;
  return { ok, firstPrev, lastHash: prev, anchorHash, records };
}

function main(): void {
  const job = workerData as SliceJob;
  let result: SliceResult = { ok: false, firstPrev: null, lastHash: null, anchorHash: null, records: 0 };
  try {
    const Driver = loadDriver();
    const db = new Driver(job.file, { readonly: true, fileMustExist: true });
    try {
      result = checkSlice(db, job);
    } finally {
      db.close();
    }
  } catch (error) {
    result = { ...result, ok: false, error: String((error as Error)?.message || error) };
  } finally {
    job.port.postMessage(result);
    job.port.close();
    Atomics.store(job.flag, job.index, SliceFlag.DONE);
    Atomics.notify(job.flag, job.index);
  }
}

main();
