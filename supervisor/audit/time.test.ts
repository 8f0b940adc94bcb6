import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoMillis, parseDuration, parseTimeArg } from './time.ts';

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

test('isoMillis reads toISOString text as Date.parse does, and leaves anything else to it', () => {
  // Every field at and past its edges, over a seeded walk of times from year 0100 to 9999.
  const texts = [
    '2026-11-03T10:00:00.000Z',
    '2024-02-28T23:59:59.999Z',
    '2024-02-29T00:00:00.000Z',
    '2026-02-30T00:00:00.000Z',
    '2026-04-31T00:00:00.000Z',
    '2026-01-01T24:00:00.000Z',
    '2026-01-01T23:60:00.000Z',
    '2026-01-01T23:59:60.000Z',
    '2026-00-01T00:00:00.000Z',
    '2026-13-01T00:00:00.000Z',
    '2026-01-00T00:00:00.000Z',
    '0050-01-01T00:00:00.000Z',
    '0100-01-01T00:00:00.000Z',
    '2026-1a-01T00:00:00.000Z',
    '2026-01-01T00:00:00.000+',
    '2026-01-01 00:00:00.000Z',
    '+02026-01-01T00:00:00.000Z',
    '2026-01-01T00:00:00Z',
  ];
  let seed = 7;
  for (let i = 0; i < 5000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    texts.push(
      new Date(
        Date.UTC(100, 0, 1) + (seed / 2 ** 31) * (Date.UTC(9999, 11, 31) - Date.UTC(100, 0, 1)),
      ).toISOString(),
    );
  }
  let fast = 0;
  for (const text of texts) {
    const ms = isoMillis(text);
    if (Number.isNaN(ms)) continue;
    fast++;
    assert.equal(ms, Date.parse(text), text);
  }
  assert.ok(fast > 4000, `the fast path read ${fast} of ${texts.length}`);
  for (const text of ['2026-02-30T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '0050-01-01T00:00:00.000Z'])
    assert.ok(Number.isNaN(isoMillis(text)), `${text} is left to Date.parse`);
});
