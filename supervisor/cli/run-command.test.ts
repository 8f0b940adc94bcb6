import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitCodeOf } from './attach.ts';
import { parseCpus, parseMemory } from './run-command.ts';

test('a signal exit becomes 128+n, as shells report it', () => {
  assert.equal(exitCodeOf({ code: 0, signal: null }), 0);
  assert.equal(exitCodeOf({ code: 7, signal: null }), 7);
  assert.equal(exitCodeOf({ code: null, signal: 'SIGTERM' }), 143);
  assert.equal(exitCodeOf({ code: null, signal: 'SIGKILL' }), 137);
  assert.equal(exitCodeOf({ code: null, signal: null }), 1, 'a lost connection is a failure');
});

test('--memory takes MiB or a size with M/G; --cpus a whole number', () => {
  assert.equal(parseMemory('512'), 512);
  assert.equal(parseMemory('768M'), 768);
  assert.equal(parseMemory('2G'), 2048);
  assert.equal(parseMemory('1GiB'), 1024);
  assert.throws(() => parseMemory('128M'), /at least 256M/);
  assert.throws(() => parseMemory('lots'), /512M or 2G/);
  assert.equal(parseCpus('2'), 2);
  assert.throws(() => parseCpus('0'), /1 to 64/);
  assert.throws(() => parseCpus('1.5'), /1 to 64/);
});
