// `warden run` loads dist/warden-run.cjs through a V8 code cache kept beside it
// (bin/warden.mjs). A cache file that is not one V8 wrote for this bundle (garbage, or
// another bundle's cache put under its name) is rejected: the command still runs from the
// source, and the cache is written anew.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { crc32 } from 'node:zlib';

const BIN = fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url));
const BUNDLE = fileURLToPath(new URL('../../dist/warden-run.cjs', import.meta.url));

test('a hostile or foreign code cache beside the run bundle is rejected, not run', {
  skip: !existsSync(BUNDLE) && 'no dist/warden-run.cjs (run the build)',
}, () => {
  const { size, mtimeMs } = statSync(BUNDLE);
  const cacheFile = `${BUNDLE}.${size}-${Math.trunc(mtimeMs)}.v8cache`;
  const help = () =>
    execFileSync(process.execPath, [BIN, 'run', '--help'], { encoding: 'utf8', timeout: 60_000 });
  assert.match(help(), /Usage: warden run/);
  const good = readFileSync(cacheFile);
  // Another script's real V8 cache, with a checksum that matches it: V8 rejects it by source.
  const foreign = new vm.Script('globalThis.forged = 1').createCachedData();
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc32(foreign));
  try {
    for (const forged of [
      Buffer.from('not a code cache\n'),
      // The header kept, the payload damaged (V8 itself would abort on it).
      Buffer.concat([good.subarray(0, 64), Buffer.alloc(good.length - 64, 0xcc)]),
      Buffer.concat([sum, foreign]),
    ]) {
      writeFileSync(cacheFile, forged);
      assert.match(help(), /Usage: warden run/, 'the command runs from its source');
      assert.notDeepEqual(readFileSync(cacheFile), forged, 'a rejected cache is written anew');
    }
  } finally {
    writeFileSync(cacheFile, good);
  }
});
