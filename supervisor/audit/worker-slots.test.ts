// The slot objects of the buffers shared with the audit worker threads: each names every
// slot of its buffer exactly once, so a buffer sized from it holds them all.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckpointSlot, ChunkSlot, sharedSlots, ThreadState, WriterSlot } from './worker-slots.ts';

test('each slot object numbers its slots 0…n-1, once each', () => {
  for (const [name, slots] of Object.entries({ WriterSlot, CheckpointSlot, ChunkSlot })) {
    const values = Object.values(slots).sort((a, b) => a - b);
    assert.deepEqual(
      values,
      values.map((_, i) => i),
      name,
    );
  }
  assert.equal(new Set(Object.values(ThreadState)).size, Object.keys(ThreadState).length);
});

test('sharedSlots makes a zeroed shared buffer with one slot per name (or the count given)', () => {
  const state = sharedSlots(CheckpointSlot);
  assert.ok(state.buffer instanceof SharedArrayBuffer);
  assert.equal(state.length, Object.keys(CheckpointSlot).length);
  assert.ok(state.every((v) => v === 0));
  const flags = sharedSlots(3);
  assert.equal(flags.length, 3);
  assert.ok(
    flags.every((v) => v === ThreadState.WAITING),
    'every verify worker starts WAITING',
  );
});
