import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SEQ_BOUNDS_SQL, seqBounds } from './seq-bounds.ts';

test('the seq bounds are two seeks on the key, never a scan of the records', () => {
  const db = new Database(':memory:');
  try {
    db.exec('CREATE TABLE records (seq INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT');
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${SEQ_BOUNDS_SQL}`).all() as Array<{ detail: string }>)
      .map((row) => row.detail)
      .join(' | ');
    assert.doesNotMatch(plan, /SCAN records/, plan);
    // `SELECT min(seq), max(seq)` in one query is the scan this avoids.
    const both = (
      db.prepare('EXPLAIN QUERY PLAN SELECT min(seq), max(seq) FROM records').all() as Array<{
        detail: string;
      }>
    )
      .map((row) => row.detail)
      .join(' | ');
    assert.match(both, /SCAN records/);

    assert.deepEqual(seqBounds(db), { first: null, last: null });
    const insert = db.prepare('INSERT INTO records (seq, body) VALUES (?, ?)');
    for (const seq of [7, 8, 9, 12]) insert.run(seq, 'x');
    assert.deepEqual(seqBounds(db), { first: 7, last: 12 });
  } finally {
    db.close();
  }
});
