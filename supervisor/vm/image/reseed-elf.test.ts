// The hand-written reseed helper runs on this (x86-64 Linux) host as in the guest: the same
// system calls, and the ioctl's errno as its exit status.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { reseedHelperElf } from './reseed-elf.ts';

const skip = process.arch !== 'x64' || process.platform !== 'linux' ? 'x86-64 Linux only' : false;

test('the reseed helper asks the kernel to reseed its CRNG and exits with the errno', { skip }, (t) => {
  const dir = tempDir(t, 'wreseed-');
  const file = path.join(dir, 'reseed');
  writeFileSync(file, reseedHelperElf(), { mode: 0o755 });
  const r = spawnSync(file, [], { encoding: 'utf8' });
  assert.equal(r.signal, null, 'the program ran to its exit');
  // Root may reseed (0); anyone else gets EPERM (1).
  assert.equal(r.status, os.userInfo().uid === 0 ? 0 : 1);
  assert.equal(r.stdout + r.stderr, '');
});

test('the reseed helper is the same bytes at every build', () => {
  assert.deepEqual(reseedHelperElf(), reseedHelperElf());
  assert.equal(reseedHelperElf().subarray(0, 4).toString('latin1'), '\x7fELF');
});
