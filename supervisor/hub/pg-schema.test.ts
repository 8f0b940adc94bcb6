import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inPartitionWindow, monthOf } from './pg-schema.ts';

test('a record time maps to its UTC month partition', () => {
  assert.deepEqual(monthOf(Date.UTC(2026, 11, 31, 23, 59, 59, 999)), {
    name: 'records_202612',
    start: Date.UTC(2026, 11, 1),
    end: Date.UTC(2027, 0, 1),
  });
  assert.equal(monthOf(Date.UTC(2027, 0, 1)).name, 'records_202701');
});

test('months from 24 back to 1 ahead get partitions; the rest land in the default one', () => {
  const now = Date.UTC(2026, 11, 6);
  assert.ok(inPartitionWindow(Date.UTC(2024, 11, 1), now));
  assert.ok(!inPartitionWindow(Date.UTC(2024, 10, 30, 23), now));
  assert.ok(inPartitionWindow(Date.UTC(2027, 0, 31, 23), now));
  assert.ok(!inPartitionWindow(Date.UTC(2027, 1, 1), now));
  assert.ok(!inPartitionWindow(Date.UTC(2001, 0, 1), now));
});
