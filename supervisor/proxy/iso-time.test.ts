import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoOf } from './iso-time.ts';

test('isoOf matches Date.toISOString across milliseconds, seconds, days and years, in any order', () => {
  const edges = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 59_999, 60_000, 86_399_999, 86_400_000];
  const bases = [
    0,
    Date.UTC(1999, 11, 31, 23, 59, 59),
    Date.UTC(2026, 11, 7),
    Date.UTC(2400, 1, 29),
    Date.UTC(9999, 11, 31, 23, 59, 59),
    Date.UTC(10_000, 0, 1),
  ];
  const values: number[] = [];
  for (const base of bases) for (const edge of edges) values.push(base + edge, base - edge);
  for (let i = 0; i < 2000; i++) values.push(Math.floor(Math.random() * 4e12));
  // Repeated, backwards (a clock stepped back) and interleaved values must not reuse a stale cache.
  for (const ms of [...values, ...values.slice().reverse(), ...values]) {
    assert.equal(isoOf(ms), new Date(ms).toISOString(), String(ms));
  }
});
