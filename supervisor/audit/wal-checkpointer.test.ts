// WAL checkpoints in a worker thread: a store that has written a few thousand records stops
// checkpointing inside its commits, the worker copies the WAL into the database file, and
// closing the store ends the worker's connection too (the WAL file goes away with the last one).
// The daemon's small commits (a batch every 20 ms) ask for a checkpoint only once enough was
// written, not after each commit.

import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { requestEvent, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { AuditStore } from './store.ts';
import { ASK_AFTER_COMMITS, ASK_AFTER_RECORDS, CHECKPOINTER_AFTER_RECORDS } from './wal-checkpointer.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('after a few thousand records the WAL is checkpointed by a worker, and close ends it cleanly', async () => {
  const { dir, dispose } = makeTempDir();
  const file = path.join(dir, 'audit.db');
  const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
  try {
    store.appendBatch(Array.from({ length: 500 }, (_, k) => requestEvent(k)));
    assert.equal(store.walCheckpoints, 'commits', 'a small store keeps SQLite automatic checkpoints');
    const total = CHECKPOINTER_AFTER_RECORDS + 2000;
    for (let i = 500; i < total; i += 500)
      store.appendBatch(Array.from({ length: 500 }, (_, k) => requestEvent(i + k)));
    assert.equal(store.walCheckpoints, 'worker');
    // The worker copies the WAL into the database file (the writer's automatic checkpoint is off).
    const walBytes = () => statSync(`${file}-wal`).size;
    const before = statSync(file).size;
    for (let t = 0; t < 200 && statSync(file).size < before + 1_000_000; t++) {
      store.appendBatch(Array.from({ length: 200 }, (_, k) => requestEvent(total + t * 200 + k)));
      await sleep(20);
    }
    assert.ok(
      statSync(file).size >= before + 1_000_000,
      `database file did not grow (WAL ${walBytes()} bytes)`,
    );
    assert.equal(store.verify().ok, true);
  } finally {
    store.close();
  }
  assert.equal(
    existsSync(`${file}-wal`),
    false,
    'the last connection closed: the worker did not keep one open',
  );
  const reopened = AuditStore.open(file, { readOnly: true });
  assert.equal(reopened.verify().ok, true);
  reopened.close();
  dispose();
});

test('small commits ask the worker for a checkpoint once enough was written, not each time', async () => {
  const { dir, dispose } = makeTempDir();
  const file = path.join(dir, 'audit.db');
  const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
  try {
    let seq = 0;
    const batch = (n: number) => store.appendBatch(Array.from({ length: n }, () => requestEvent(seq++)));
    while (store.walCheckpoints !== 'worker') batch(1000);
    const asked = store.walCheckpointsAsked;
    // Commits of 4 records: one ask per ASK_AFTER_COMMITS commits (once the last is done).
    const commits = ASK_AFTER_COMMITS * 3;
    for (let i = 0; i < commits; i++) {
      batch(4);
      if (i % 25 === 0) await sleep(5); // let the worker finish what it was asked
    }
    const small = store.walCheckpointsAsked - asked;
    // At most one per ASK_AFTER_COMMITS (fewer when the worker was still busy when asked).
    assert.ok(small >= 1 && small <= 3, `${small} checkpoints asked for ${commits} commits of 4 records`);
    assert.ok(ASK_AFTER_RECORDS > 4 * ASK_AFTER_COMMITS, 'these commits reach the commit count first');
    assert.equal(store.verify().ok, true);
  } finally {
    store.close();
  }
  dispose();
});
