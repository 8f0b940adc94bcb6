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
  /** sliceSql(): seq, prev_hash, hash, prev_hash ‖ canonical row, is-legacy, logged-is-null. */
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

/** A row of sliceSql(). */
type SliceRow = [seq: number, prev: string, hash: string, text: string, isLegacy: 0 | 1, noLogged: 0 | 1];

// Read in chunks of CHUNK seqs by all(): a quarter less CPU per row than iterate() here
// (one call into SQLite per chunk instead of one per row), inside one read transaction so
// every chunk sees the same snapshot.
const CHUNK = 10000;

function checkSlice(db: Database.Database, job: SliceJob): SliceResult {
  const { sql, from, to, anchorAt, legacyThrough } = job;
  // SQLite assembles prev_hash ‖ canonical row (json_quote escapes as JSON.stringify does;
  // were it ever to differ, the hash would not match and verify would fall back to the
  // sequential walk, which builds the text in JavaScript).
  const select = db.prepare<[number, number], SliceRow>(sql).raw(true);
  let expected = from;
  let prev: string | null = null;
  let firstPrev: string | null = null;
  let anchorHash: string | null = null;
  let ok = true;
  db.transaction(() => {
    for (let lo = from; ok && lo <= to; lo += CHUNK) {
      const rows = select.all(lo, Math.min(to, lo + CHUNK - 1)) as unknown as SliceRow[];
      addDone(job.progress, rows.length);
      for (let i = 0; i < rows.length; i++) {
        // Indexed reads, not destructuring: this loop runs once per record.
        const r = rows[i] as SliceRow;
        const seq = r[0];
        const rowPrev = r[1];
        const rowHash = r[2];
        if (seq !== expected || (prev !== null && rowPrev !== prev)) {
          ok = false;
          break;
        }
        // Rows up to the migration are schema 1 (no context); later rows have context and time.
        const legacy = seq <= legacyThrough;
        if (legacy !== (r[4] === 1) || (!legacy && r[5] === 1)) {
          ok = false;
          break;
        }
        if (hash('sha256', r[3], 'hex') !== rowHash) {
          ok = false;
          break;
        }
        if (firstPrev === null) firstPrev = rowPrev;
        if (seq === anchorAt) anchorHash = rowHash;
        prev = rowHash;
        expected++;
      }
    }
  })();
  if (expected !== to + 1) ok = false;
  return { ok, firstPrev, lastHash: prev, anchorHash, records: expected - from };
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
