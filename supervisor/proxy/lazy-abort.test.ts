import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LazyAbort } from './lazy-abort.ts';

test('a signal asked for before the abort fires once; one asked for after is already aborted', () => {
  const early = new LazyAbort();
  const signal = early.signal;
  assert.equal(early.signal, signal, 'one signal per exchange');
  let fired = 0;
  signal.addEventListener('abort', () => fired++);
  assert.equal(signal.aborted, false);
  early.abort();
  early.abort();
  assert.equal(fired, 1);
  assert.equal(early.aborted, true);

  const late = new LazyAbort();
  assert.equal(late.aborted, false);
  late.abort();
  assert.equal(late.aborted, true);
  assert.equal(late.signal.aborted, true, 'made aborted: a waiter sees the client gone at once');
});
