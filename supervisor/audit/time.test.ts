import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, parseTimeArg } from './time.ts';

const now = Date.parse('2026-11-03T12:00:00Z');

test('relative times count back from now', () => {
  assert.equal(parseTimeArg('30m', now), now - 30 * 60_000);
  assert.equal(parseTimeArg('1h', now), now - 3_600_000);
  assert.equal(parseTimeArg('7d', now), now - 7 * 86_400_000);
  assert.equal(parseTimeArg('90s', now), now - 90_000);
});

test('ISO-8601 times are absolute', () => {
  assert.equal(parseTimeArg('2026-11-01T08:30:00Z', now), Date.parse('2026-11-01T08:30:00Z'));
  assert.equal(parseTimeArg('2026-11-01', now), Date.parse('2026-11-01'));
  assert.equal(parseTimeArg('2026-11-01T08:30:00+02:00', now), Date.parse('2026-11-01T06:30:00Z'));
});

test('anything else is refused with the accepted forms', () => {
  for (const bad of ['yesterday', '1y', '', '2026-13-45', '10']) {
    assert.throws(() => parseTimeArg(bad, now), /ISO-8601 .*30m, 1h, 7d/);
  }
  assert.equal(parseDuration('2w'), 14 * 86_400_000);
  assert.throws(() => parseDuration('soon'), RangeError);
});
