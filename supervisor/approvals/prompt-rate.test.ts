import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PromptRate, RATE_WINDOW_MS } from './prompt-rate.ts';

test('prompts are counted per sandbox over the last hour, and older ones drop out', () => {
  let now = 1_000_000;
  const rate = new PromptRate(() => now);
  rate.record('a');
  rate.record('a');
  rate.record('b');
  assert.equal(rate.lastHour('a'), 2);
  assert.deepEqual(rate.all(), [
    { sandboxId: 'a', lastHour: 2 },
    { sandboxId: 'b', lastHour: 1 },
  ]);
  now += RATE_WINDOW_MS / 2;
  rate.record('a');
  now += RATE_WINDOW_MS / 2;
  assert.equal(rate.lastHour('a'), 1, 'the first two are an hour old');
  assert.equal(rate.lastHour('b'), 0);
  assert.deepEqual(rate.all(), [{ sandboxId: 'a', lastHour: 1 }]);
  assert.equal(rate.lastHour('never'), 0);
});
