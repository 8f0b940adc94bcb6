import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRetryAfter, retryDelay } from './retry.ts';

const schedule = { baseMs: 500, capMs: 300_000 };

test('full jitter: between 0 and the doubling ceiling, capped at five minutes', () => {
  assert.equal(
    retryDelay(schedule, 0, null, () => 0),
    0,
  );
  assert.equal(
    retryDelay(schedule, 0, null, () => 0.999),
    499,
  );
  assert.equal(
    retryDelay(schedule, 3, null, () => 0.5),
    2000,
  );
  assert.equal(
    retryDelay(schedule, 40, null, () => 0.999999),
    299_999,
  );
  for (let i = 0; i < 100; i++) {
    const d = retryDelay(schedule, 5, null);
    assert.ok(d >= 0 && d < 16_000, String(d));
  }
});

test('Retry-After is a floor, and capped too', () => {
  assert.equal(
    retryDelay(schedule, 0, 7000, () => 0),
    7000,
  );
  assert.equal(
    retryDelay(schedule, 0, 3_600_000, () => 0),
    300_000,
  );
  assert.equal(parseRetryAfter('12'), 12_000);
  assert.equal(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000), 5000);
  assert.equal(parseRetryAfter('soon'), null);
  assert.equal(parseRetryAfter(undefined), null);
});
