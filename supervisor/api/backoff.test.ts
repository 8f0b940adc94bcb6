import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from './backoff.ts';

test('the delay doubles from the first one and stops at the ceiling', () => {
  const b = { initialMs: 250, maxMs: 10_000 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(b, a)),
    [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000],
  );
});

test('a huge attempt count stays at the ceiling (no Infinity, no NaN); a negative one is the first delay', () => {
  const b = { initialMs: 1000, maxMs: 60_000 };
  assert.equal(backoffDelay(b, 10_000), 60_000);
  assert.equal(backoffDelay(b, Number.MAX_SAFE_INTEGER), 60_000);
  assert.equal(backoffDelay(b, -3), 1000);
});
