import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitsWhenDone } from './commands.ts';

test('only run exits as soon as it is done; the daemon and other commands drain first', () => {
  assert.equal(exitsWhenDone(['run', '--', 'true']), true);
  assert.equal(exitsWhenDone(['run', '--help']), true);
  assert.equal(exitsWhenDone(['daemon']), false);
  assert.equal(exitsWhenDone(['shell', 'sb-1']), false);
  assert.equal(exitsWhenDone(['--version']), false);
  assert.equal(exitsWhenDone([]), false);
});
