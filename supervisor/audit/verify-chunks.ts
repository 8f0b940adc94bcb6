// The per-record work of verify's parallel walk (verify-parallel.ts), done by every thread
// that takes part: it claims chunks of seqs from a shared counter until none are left, and
// for each, with one SQLite call, reads the chunk's stored hashes, prev_hashes and each
// record's prev_hash ‖ canonical row (built by SQLite, as bytes), then hashes every record.
// Threads that start late or run slowly (a loaded machine) simply claim fewer chunks.
// Only "all good" is concluded here; anything else marks the chunk failed and stops every
// thread's claiming, and the caller walks the chain sequentially.

import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { addDone } from './verify-progress.ts';
import { ChunkSlot } from './worker-slots.ts';

/** What each thread of a parallel verify is given (the same for every thread). */
export interface ChunkJob {
  file: string;
  /** chunkSql(): count, hashes, prev_hashes, texts (\n between them), every row fits. */
  sql: string;
  /** The seqs to check: first…last. */
  first: number;
  last: number;
  /** Seqs per chunk. */
  chunkRows: number;
  /** Chunks per claim (default 1): consecutive chunks, so a thread reads longer runs of pages. */
  claimChunks?: number;
  anchorAt: number;
  /** The claim counter and the stop flag (ChunkSlot), then one slot per worker. */
  state: Int32Array;
  /** The async verify's shared counter (verify-progress.ts): rows checked, bumped per chunk. */
  progress?: Int32Array;
}

/**
 * The outcome of a run of consecutive chunks one thread checked (usually one claim); a
 * verify's runs in order link up when every record is in place.
 */
export interface SliceResult {
  ok: boolean;
  /** The run's first chunk (its first seq is first + chunk × chunkRows). */
  chunk: number;
  /** How many consecutive chunks the run covers (1 for a failed chunk). */
  chunks: number;
  /** prev_hash of the run's first record. */
  firstPrev: string | null;
  /** hash of the run's last record. */
  lastHash: string | null;
  /** hash of the record at `anchorAt`, when the run holds it. */
  anchorHash: string | null;
  records: number;
  error?: string;
}

/** A row of chunkSql(). */
type ChunkRow = [
  count: number,
  hashes: string | null,
  prevs: string | null,
  texts: unknown,
  fit: number | null,
];

const NEWLINE = 0x0a;

/** How many chunks first…last makes. */
export function chunkCount(job: Pick<ChunkJob, 'first' | 'last' | 'chunkRows'>): number {
  return Math.max(0, Math.ceil((job.last - job.first + 1) / job.chunkRows));
}

/**
 * Check chunk `lo…hi` from its row. Hashes and prev_hashes are 64 bytes each (the fit
 * column says so for every row); 64 characters each in JavaScript then means one byte per
 * character, so the i-th 64 characters are the i-th record's. Texts are joined by \n, which
 * no canonical row holds (JSON escapes it): exactly n−1 of them means each piece is one
 * record's text. Raw bytes are hashed, so they must be valid UTF-8 (every writer writes it):
 * the sequential walk reads the columns as strings and must agree.
 */
function checkChunk(
  row: ChunkRow | undefined,
  chunk: number,
  lo: number,
  hi: number,
  anchorAt: number,
): SliceResult {
  const failed: SliceResult = {
    ok: false,
    chunk,
    chunks: 1,
    firstPrev: null,
    lastHash: null,
    anchorHash: null,
    records: 0,
  };
  if (!row) return failed;
  const [n, hashes, prevs, texts, fit] = row;
  if (n !== hi - lo + 1 || fit !== 1 || typeof hashes !== 'string' || typeof prevs !== 'string')
    return failed;
  if (!(texts instanceof Uint8Array) || hashes.length !== 64 * n || prevs.length !== 64 * n) return failed;
  // Inside the chunk, each prev_hash is the hash of the record before it (each record's text
  // starts with its prev_hash: the query puts it there).
  if (prevs.slice(64) !== hashes.slice(0, -64)) return failed;
  if (!isUtf8(texts)) return failed;
  const at = anchorAt - lo;
  let anchorHash: string | null = null;
  let digest = '';
  let start = 0;
  for (let i = 0; i < n; i++) {
    let end = texts.indexOf(NEWLINE, start);
    if (i === n - 1) {
      if (end !== -1) return failed;
      end = texts.length;
    } else if (end === -1) return failed;
    // A plain view: Buffer#subarray builds a Buffer through its species constructor, which
    // cost ~0.05 µs a record more (SHA-256 of 940 bytes: 0.76 against 0.79–0.90 µs).
    digest = hash('sha256', new Uint8Array(texts.buffer, texts.byteOffset + start, end - start), 'hex');
    if (!hashes.startsWith(digest, 64 * i)) return failed;
    if (i === at) anchorHash = digest;
    start = end + 1;
  }
  // What is kept is never a slice of `hashes` or `prevs`: a slice would keep the whole
  // string (64 bytes a record) alive, and the young-generation GC copy it again and again.
  return {
    ok: true,
    chunk,
    chunks: 1,
    firstPrev: own(prevs.slice(0, 64)),
    lastHash: digest,
    anchorHash,
    records: n,
  };
}

/** A copy of an ASCII string that shares no memory with the string it was cut from. */
function own(ascii: string): string {
  return Buffer.from(ascii, 'latin1').toString('latin1');
}

/**
 * `result` (a chunk that checked out) appended to `run` when it directly follows it: linked
 * to the run's last hash, else failed. Null when it does not follow (a new run starts).
 */
function extend(run: SliceResult | undefined, result: SliceResult): SliceResult | null {
  if (!run?.ok || run.chunk + run.chunks !== result.chunk) return null;
  if (result.firstPrev !== run.lastHash) return { ...result, ok: false, firstPrev: null, lastHash: null };
  run.chunks++;
  run.records += result.records;
  run.lastHash = result.lastHash;
  run.anchorHash ??= result.anchorHash;
  return run;
}

/**
 * Claim and check chunks on `db` until none are left or a thread stops them (a failed
 * chunk). Returns this thread's runs of consecutive chunks (one per claim, or fewer: a
 * thread's claims that follow each other make one), a failed chunk last: a thousand results
 * for 1M records instead of 16 times as many to post, sort and link. One read transaction:
 * every chunk this thread reads sees the same snapshot.
 */
export function checkChunks(db: Database.Database, job: ChunkJob): SliceResult[] {
  // The file mapped into memory (up to SQLite's cap, 2 GB): pages are read in place instead
  // of copied by a read() each. Read-only, on this thread's own connection.
  db.pragma(`mmap_size = ${2 ** 31}`);
  const select = db.prepare<[number, number], ChunkRow>(job.sql).raw(true);
  const { state, first, last, chunkRows, anchorAt } = job;
  const results: SliceResult[] = [];
  const claim = Math.max(1, Math.trunc(job.claimChunks ?? 1));
  db.transaction(() => {
    claiming: while (Atomics.load(state, ChunkSlot.STOP) === 0) {
      const claimed = Atomics.add(state, ChunkSlot.NEXT, 1) * claim;
      for (let chunk = claimed; chunk < claimed + claim; chunk++) {
        const lo = first + chunk * chunkRows;
        if (lo > last) break claiming;
        const hi = Math.min(last, lo + chunkRows - 1);
        let result = checkChunk(select.get(lo, hi) as ChunkRow | undefined, chunk, lo, hi, anchorAt);
        if (result.ok) {
          const run = extend(results.at(-1), result);
          if (run === null) results.push(result);
          else if (!run.ok) result = run;
        }
        if (!result.ok) {
          results.push(result);
          Atomics.store(state, ChunkSlot.STOP, 1);
          break claiming;
        }
        addDone(job.progress, result.records);
      }
    }
  })();
  return results;
}
