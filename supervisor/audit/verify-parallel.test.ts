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
    const inlined = verifySlices(file, layout, 1, last, 5, 3, { contexts, chunkRows: 50 });
    assert.ok(
      inlined?.every((s) => s.ok),
      JSON.stringify(inlined),
    );
    const slices = verifySlices(file, layout, 1, last, 5, 3, { chunkRows: 50, claimChunks: 2 });
    assert.ok(slices, 'threads ran');
    // Chunks of 50 seqs, claimed two at a time: runs of consecutive chunks (at least one
    // claim each, but the last), in order, whichever thread checked them, covering each once.
    assert.deepEqual(
      slices.flatMap((s) => Array.from({ length: s.chunks }, (_, k) => s.chunk + k)),
      Array.from({ length: Math.ceil(last / 50) }, (_, i) => i),
    );
    assert.ok(slices.slice(0, -1).every((s) => s.chunks >= 2));
    for (const s of slices) assert.equal(s.ok, true, JSON.stringify(s));
    assert.equal(slices[0]?.firstPrev, GENESIS_HASH);
    for (let i = 1; i < slices.length; i++) assert.equal(slices[i]?.firstPrev, slices[i - 1]?.lastHash);
    assert.equal(slices.at(-1)?.lastHash, head?.hash);
    assert.equal(
      slices.reduce((n, s) => n + s.records, 0),
      last,
    );
    assert.equal(slices[0]?.anchorHash, store5Hash(file));
    assert.ok(slices.slice(1).every((s) => s.anchorHash === null));
    const ro = AuditStore.open(file, { readOnly: true, verifyThreads: 2, verifyParallelMin: 0 });
    const status = ro.verify();
    ro.close();
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.equal(status.records, last);
  } finally {
    dispose();
  }
});

/** The stored hash of record 5. */
function store5Hash(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT hash FROM records WHERE seq = 5').pluck().get() as string;
  } finally {
    db.close();
  }
}

test('a missing database makes every thread report failure instead of hanging', () => {
  const layout = { columns: '', body: 'body', legacyThrough: 0, contexts: true, segments: true } as const;
  const slices = verifySlices('/nonexistent/warden/audit.db', layout, 1, 10, 0, 2, { chunkRows: 2 });
  assert.ok(slices);
  assert.ok(slices.length > 0);
  assert.equal(
    slices.every((s) => !s.ok && typeof s.error === 'string'),
    true,
  );
});

test('a worker that starts after every chunk was claimed is not waited for', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
    store.appendBatch(Array.from({ length: 40 }, (_, i) => requestEvent(i)));
    store.close();
    const db = new Database(file, { readonly: true });
    const layout = checkReadable(db, file);
    db.close();
    // Two chunks, so one worker is started; the calling thread finishes both long before a
    // worker thread is up (~70 ms here), closes its slot and returns without it.
    const t = performance.now();
    const slices = verifySlices(file, layout, 1, 40, -1, 2, { chunkRows: 20 });
    const ms = performance.now() - t;
    // One run: the caller's two chunks, one after the other.
    assert.ok(slices?.length === 1 && slices[0]?.ok && slices[0].chunks === 2, JSON.stringify(slices));
    assert.ok(ms < 5_000, `took ${ms} ms`);
  } finally {
    dispose();
  }
});
