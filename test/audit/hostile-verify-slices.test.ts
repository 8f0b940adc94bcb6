// Hostile rows against verify's parallel chunks, which read per chunk the stored hashes and
// prev_hashes joined, the records' prev_hash ‖ canonical texts as bytes joined by \n, and
// whether every row fits its format, and never the seq on its own. Each forgery below keeps
// every hash consistent with the bytes the chunk hashes, so only the chunk's other checks
// can refuse it; a chunk that confirmed it would let verify say "all good" where the
// sequential walk names a bad record.

import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { checkReadable } from '../../supervisor/audit/schema.ts';
import { AuditStore } from '../../supervisor/audit/store.ts';
import { type ContextRow, verifySlices } from '../../supervisor/audit/verify-parallel.ts';
import { chunkSql } from '../../supervisor/audit/verify-sql.ts';
import { bundledWorkerUrl } from '../../supervisor/audit/worker-from-sources.ts';
import { requestEvent, TEST_DEVICE } from '../support/audit/samples.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const RECORDS = 60;
let dir: ReturnType<typeof makeTempDir>;
let pristine: string;

before(() => {
  dir = makeTempDir();
  pristine = path.join(dir.dir, 'pristine.db');
  const store = AuditStore.open(pristine, { device: TEST_DEVICE, durability: 'normal' });
  store.appendBatch(Array.from({ length: RECORDS }, (_, i) => requestEvent(i + 1)));
  store.close();
});

after(() => dir.dispose());

let copies = 0;
/**
 * A copy of the pristine database, edited by `edit`, then checked in chunks of 16 by two
 * threads: `ok` says whether every chunk was confirmed and all of them link up.
 */
function slicesAfter(edit: (db: Database.Database) => void): { ok: boolean; sequential: boolean } {
  const file = path.join(dir.dir, `copy-${++copies}.db`);
  copyFileSync(pristine, file); // closed by its writer: everything is in the main file
  copyFileSync(`${pristine}.anchor`, `${file}.anchor`);
  const db = new Database(file);
  edit(db);
  const layout = checkReadable(db, file);
  const contexts = db.prepare('SELECT id, body FROM contexts').all() as ContextRow[];
  db.close();
  const slices = verifySlices(file, layout, 1, RECORDS, -1, 2, { contexts, chunkRows: 16, claimChunks: 1 });
  assert.ok(slices, 'the threads ran');
  const store = AuditStore.open(file, { readOnly: true, verifyThreads: 0 });
  const sequential = store.verify().ok;
  store.close();
  return { ok: confirmed(slices), sequential };
}

/** Every chunk hashed right, in order, each linked to the one before, all records counted. */
function confirmed(
  slices: ReadonlyArray<{ ok: boolean; firstPrev: string | null; lastHash: string | null; records: number }>,
): boolean {
  let prev: string | null = null;
  let records = 0;
  for (const s of slices) {
    if (!s.ok || (prev !== null && s.firstPrev !== prev)) return false;
    prev = s.lastHash;
    records += s.records;
  }
  return records === RECORDS;
}

/** The bytes a chunk hashes for `seq`, read with the chunk's own query. */
function sliceText(db: Database.Database, seq: number): Buffer {
  const layout = checkReadable(db, 'copy');
  const contexts = db.prepare('SELECT id, body FROM contexts').all() as ContextRow[];
  const row = db.prepare(chunkSql(layout, contexts)).raw(true).get(seq, seq) as unknown[];
  return row[3] as Buffer;
}

/**
 * Rehash `seq` from the text the slice reads, then relink and rehash every later record, so
 * each hash matches that text and each text starts with the hash before it.
 */
function rechain(db: Database.Database, seq: number): void {
  const setHash = db.prepare('UPDATE records SET hash = ? WHERE seq = ?');
  const setPrev = db.prepare('UPDATE records SET prev_hash = ? WHERE seq = ?');
  let previous = hash('sha256', sliceText(db, seq), 'hex');
  setHash.run(previous, seq);
  for (let next = seq + 1; next <= RECORDS; next++) {
    setPrev.run(previous, next);
    previous = hash('sha256', sliceText(db, next), 'hex');
    setHash.run(previous, next);
  }
}

test('the untouched copy is confirmed by every chunk', () => {
  const { ok, sequential } = slicesAfter(() => {});
  assert.equal(ok, true);
  assert.equal(sequential, true);
});

test('a prev_hash that only starts with the previous hash is refused (rehashed to match)', () => {
  const { ok, sequential } = slicesAfter((db) => {
    const prev = (db.prepare('SELECT hash FROM records WHERE seq = 9').pluck().get() as string) + 'f';
    db.prepare('UPDATE records SET prev_hash = ? WHERE seq = 10').run(prev);
    rechain(db, 10);
  });
  assert.equal(sequential, false);
  assert.equal(ok, false);
});

test('a prev_hash padded with bytes SQLite does not count as characters is refused', () => {
  const { ok, sequential } = slicesAfter((db) => {
    const prev = db.prepare('SELECT hash FROM records WHERE seq = 11').pluck().get() as string;
    // A stray UTF-8 continuation byte: length() would still say 64.
    db.prepare("UPDATE records SET prev_hash = CAST(CAST(? AS BLOB) || x'80' AS TEXT) WHERE seq = 12").run(
      prev,
    );
    rechain(db, 12);
  });
  assert.equal(sequential, false);
  assert.equal(ok, false);
});

test('a deleted record is refused even when the next one is relinked and rehashed', () => {
  const { ok, sequential } = slicesAfter((db) => {
    const prev = db.prepare('SELECT hash FROM records WHERE seq = 39').pluck().get() as string;
    db.prepare('DELETE FROM records WHERE seq = 40').run();
    db.prepare('UPDATE records SET prev_hash = ? WHERE seq = 41').run(prev);
    rechain(db, 41);
  });
  assert.equal(sequential, false);
  assert.equal(ok, false);
});

test('a compact row turned legacy (its context removed, rehashed) is refused', () => {
  const { ok, sequential } = slicesAfter((db) => {
    db.prepare('UPDATE records SET ctx = NULL WHERE seq = 50').run();
    rechain(db, 50);
  });
  assert.equal(sequential, false);
  assert.equal(ok, false);
});

test('a record whose bytes are not UTF-8 is refused (rehashed as raw bytes)', () => {
  const { ok, sequential } = slicesAfter((db) => {
    // The walk reads the column as a string (U+FFFD for the stray byte) and hashes that.
    db.prepare("UPDATE records SET host = CAST(CAST(host AS BLOB) || x'ff' AS TEXT) WHERE seq = 20").run();
    rechain(db, 20);
  });
  assert.equal(sequential, false);
  assert.equal(ok, false);
});

test('a record holding the chunk separator cannot hide the last record of its chunk', () => {
  const { ok, sequential } = slicesAfter((db) => {
    db.prepare(
      'UPDATE records SET body = replace(body, \'"method"\', char(10) || \'"method"\') WHERE seq = 20',
    ).run();
    // Rehash what a chunk (seqs 17…32) that split its bytes at every newline would see:
    // record 20 up to the newline, the rest of it in the place of record 21, record 21 in
    // that of 22, …, record 31 in that of 32; record 32's own text is then never hashed.
    const layout = checkReadable(db, 'copy');
    const contexts = db.prepare('SELECT id, body FROM contexts').all() as ContextRow[];
    const chunk = db.prepare(chunkSql(layout, contexts)).raw(true);
    const setHash = db.prepare('UPDATE records SET hash = ? WHERE seq = ?');
    const setPrev = db.prepare('UPDATE records SET prev_hash = ? WHERE seq = ?');
    for (let seq = 20; seq <= 32; seq++) {
      const joined = (chunk.get(17, 32) as unknown[])[3] as Buffer;
      const pieces: Buffer[] = [];
      for (let at = 0; at <= joined.length; ) {
        const end = joined.indexOf(10, at);
        pieces.push(joined.subarray(at, end === -1 ? joined.length : end));
        at = end === -1 ? joined.length + 1 : end + 1;
      }
      assert.equal(pieces.length, 17, 'one newline more than the records');
      const digest = hash('sha256', pieces[seq - 17] as Buffer, 'hex');
      setHash.run(digest, seq);
      setPrev.run(digest, seq + 1);
    }
    rechain(db, 33);
  });
  assert.equal(sequential, false);
  assert.equal(ok, false);
});

test('from sources, self-contained worker entries are bundled; the writer is not', () => {
  const here = new URL('../../supervisor/audit/', import.meta.url);
  assert.ok(bundledWorkerUrl(new URL('verify-worker.ts', here).href)?.protocol === 'data:');
  // The writer imports better-sqlite3, which a data: module cannot resolve: tsx starts it.
  assert.equal(bundledWorkerUrl(new URL('audit-writer-worker.ts', here).href), null);
  assert.equal(bundledWorkerUrl(new URL('no-such-worker.ts', here).href), null);
});
