import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { requestEvent, sampleEvents, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { GENESIS_HASH } from './chain.ts';
import { checkReadable } from './schema.ts';
import { AuditStore } from './store.ts';
import { type ContextRow, verifySlices } from './verify-parallel.ts';

test('worker slices recompute every hash (SQLite-built canonical text) and link up', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
    // Every event type, and awkward strings in the indexed columns.
    store.appendBatch([
      ...sampleEvents(),
      requestEvent(1, { host: 'q"uote\\back\u0001ctl\ttab\u007fdel.é字😀' }),
      requestEvent(2, { user: 'lone \ud800 surrogate', sandboxId: 'sb-"x"' }),
      ...Array.from({ length: 200 }, (_, i) => requestEvent(i + 3)),
    ]);
    const head = store.head();
    store.close();
    const last = head?.seq ?? 0;
    const db = new Database(file, { readonly: true });
    const layout = checkReadable(db, file);
    const contexts = db.prepare('SELECT id, body FROM contexts').all() as ContextRow[];
    db.close();
    // The contexts' texts written into the query (as verify does) give the same result.
    const inlined = verifySlices(file, layout, 1, last, 5, 3, { contexts });
    assert.ok(inlined?.every((s) => s.ok) && inlined.length === 3, JSON.stringify(inlined));
    const slices = verifySlices(file, layout, 1, last, 5, 3);
    assert.ok(slices, 'workers ran');
    assert.equal(slices.length, 3);
    for (const s of slices) assert.equal(s.ok, true, JSON.stringify(s));
    assert.equal(slices[0]?.firstPrev, GENESIS_HASH);
    assert.equal(slices[1]?.firstPrev, slices[0]?.lastHash);
    assert.equal(slices[2]?.firstPrev, slices[1]?.lastHash);
    assert.equal(slices[2]?.lastHash, head?.hash);
    assert.equal(
      slices.reduce((n, s) => n + s.records, 0),
      last,
    );
    assert.ok(slices.some((s) => s.anchorHash !== null));
    const ro = AuditStore.open(file, { readOnly: true, verifyThreads: 2, verifyParallelMin: 0 });
    const status = ro.verify();
    ro.close();
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.equal(status.records, last);
  } finally {
    dispose();
  }
});

test('a missing database makes the workers report failure instead of hanging', () => {
  const layout = { columns: '', body: 'body', legacyThrough: 0, contexts: true, segments: true } as const;
  const slices = verifySlices('/nonexistent/warden/audit.db', layout, 1, 10, 0, 2);
  assert.ok(slices);
  assert.equal(
    slices.every((s) => !s.ok && typeof s.error === 'string'),
    true,
  );
});
