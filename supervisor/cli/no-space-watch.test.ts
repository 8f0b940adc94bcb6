import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NoSpaceWatch, noSpaceHint } from './no-space-watch.ts';

test('NoSpaceWatch sees ENOSPC even split across chunks', () => {
  const w = new NoSpaceWatch();
  w.feed('npm error code ENO');
  assert.equal(w.seen, false);
  w.feed(Buffer.from('SPC\n'));
  assert.equal(w.seen, true);
  const v = new NoSpaceWatch();
  v.feed('cp: error writing x: No space left on device\n');
  assert.equal(v.seen, true);
  const n = new NoSpaceWatch();
  for (let i = 0; i < 1000; i++) n.feed('all fine '.repeat(100));
  assert.equal(n.seen, false);
});

test('the hint names --disk and a larger size', () => {
  assert.match(noSpaceHint(undefined), /--disk 16G/);
  assert.match(noSpaceHint(8192), /8192M.*--disk 16G/);
  assert.match(noSpaceHint(32768), /--disk 64G/);
  assert.match(noSpaceHint(0), /RAM.*--disk 16G/);
});
