import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { requestEvent, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import type { WardenEvent } from '../api/events.ts';
import { AuditWriteError } from './errors.ts';
import { GroupCommitter } from './group-commit.ts';
import { AuditStore } from './store.ts';

test('concurrent producers share commits; each promise resolves with its own committed record', async () => {
  const { dir, dispose } = makeTempDir();
  const store = AuditStore.open(path.join(dir, 'audit.db'), { device: TEST_DEVICE });
  const batches: number[] = [];
  const counting = {
    appendBatch: (events: readonly WardenEvent[]) => {
      batches.push(events.length);
      return store.appendBatch(events);
    },
  };
  try {
    const group = new GroupCommitter(counting, { maxBatch: 16 });
    const records = await Promise.all(Array.from({ length: 40 }, (_, i) => group.append(requestEvent(i))));
    assert.deepEqual(
      records.map((r) => (r.ocsf.unmapped as { request_id: string }).request_id),
      Array.from({ length: 40 }, (_, i) => `rq-${i}`),
    );
    assert.deepEqual(batches, [16, 16, 8]);
    for (const r of records) assert.equal(store.get(r.seq)?.hash, r.hash, 'resolved only once committed');
    assert.equal(group.pending, 0);
  } finally {
    store.close();
    dispose();
  }
});

test('a failed group commit rejects every event of the group', async () => {
  const failing = {
    appendBatch: (): never => {
      throw new AuditWriteError('disk full', 'SQLITE_FULL');
    },
  };
  const group = new GroupCommitter(failing);
  const results = await Promise.allSettled([group.append(requestEvent(1)), group.append(requestEvent(2))]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
});
