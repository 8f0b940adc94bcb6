// Hostile rows against verify's worker slices, which read three values a row (the stored
// hash, prev_hash ‖ canonical text, flags) and never the seq or prev_hash on their own. Each
// forgery below keeps every hash consistent with the text the slice hashes, so only the
// slice's other checks can refuse it; a slice that confirmed it would let verify say "all
// good" where the sequential walk names a bad record.

import assert from 'node:assert/strict';
import { hash } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { checkReadable } from '../../supervisor/audit/schema.ts';
import { AuditStore } from '../../supervisor/audit/store.ts';
import { type ContextRow, sliceSql, verifySlices } from '../../supervisor/audit/verify-parallel.ts';
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
/** A copy of the pristine database, edited by `edit`, then checked by two slices. */
function slicesAfter(edit: (db: Database.Database) => void): { ok: boolean[]; sequential: boolean } {
  const file = path.join(dir.dir, `copy-${++copies}.db`);
  copyFileSync(pristine, file); // closed by its writer: everything is in the main file
  copyFileSync(`${pristine}.anchor`, `${file}.anchor`);
  const db = new Database(file);
  edit(db);
  const layout = checkReadable(db, file);
  const contexts = db.prepare('SELECT id, body FROM contexts').all() as ContextRow[];
  db.close();
  const slices = verifySlices(file, layout, 1, RECORDS, -1, 2, { contexts });
  assert.ok(slices, 'the workers ran');
  const store = AuditStore.open(file, { readOnly: true, verifyThreads: 0 });
  const sequential = store.verify().ok;
  store.close();
  return { ok: slices.map((s) => s.ok), sequential };
}

/** The text the slice hashes for `seq`, read with the slice's own query. */
function sliceText(db: Database.Database, seq: number): string {
  const layout = checkReadable(db, 'copy');
  const contexts = db.prepare('SELECT id, body FROM contexts').all() as ContextRow[];
  const row = db.prepare(sliceSql(layout, contexts)).raw(true).get(seq, seq) as [string, string, number];
  return row[1];
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

test('the untouched copy is confirmed by every slice', () => {
  const { ok, sequential } = slicesAfter(() => {});
  assert.deepEqual(ok, [true, true]);
  assert.equal(sequential, true);
});

test('a prev_hash that only starts with the previous hash is refused (rehashed to match)', () => {
  const { ok, sequential } = slicesAfter((db) => {
    const prev = (db.prepare('SELECT hash FROM records WHERE seq = 9').pluck().get() as string) + 'f';
    db.prepare('UPDATE records SET prev_hash = ? WHERE seq = 10').run(prev);
    rechain(db, 10);
  });
  assert.equal(sequential, false);
  assert.equal(ok[0], false);
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
  assert.equal(ok[0], false);
});

test('a deleted record is refused even when the next one is relinked and rehashed', () => {
  const { ok, sequential } = slicesAfter((db) => {
    const prev = db.prepare('SELECT hash FROM records WHERE seq = 39').pluck().get() as string;
    db.prepare('DELETE FROM records WHERE seq = 40').run();
    db.prepare('UPDATE records SET prev_hash = ? WHERE seq = 41').run(prev);
    rechain(db, 41);
  });
  assert.equal(sequential, false);
  assert.equal(ok[1], false);
});

test('a compact row turned legacy (its context removed, rehashed) is refused', () => {
  const { ok, sequential } = slicesAfter((db) => {
    db.prepare('UPDATE records SET ctx = NULL WHERE seq = 50').run();
    rechain(db, 50);
  });
  assert.equal(sequential, false);
  assert.equal(ok[1], false);
});

test('from sources, self-contained worker entries are bundled; the writer is not', () => {
  const here = new URL('../../supervisor/audit/', import.meta.url);
  assert.ok(bundledWorkerUrl(new URL('verify-worker.ts', here).href)?.protocol === 'data:');
  // The writer imports better-sqlite3, which a data: module cannot resolve: tsx starts it.
  assert.equal(bundledWorkerUrl(new URL('audit-writer-worker.ts', here).href), null);
  assert.equal(bundledWorkerUrl(new URL('no-such-worker.ts', here).href), null);
});
