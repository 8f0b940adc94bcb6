import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventDay } from './files-sink.ts';

test('files: an event time no date can hold is filed under 00000000', () => {
  assert.equal(eventDay(Date.UTC(2026, 11, 6, 23, 59)), '20261206');
  assert.equal(eventDay(8.64e15 + 1), '00000000');
  assert.equal(eventDay(Number.MAX_SAFE_INTEGER), '00000000');
  assert.equal(eventDay(-1e15), '00000000');
});
