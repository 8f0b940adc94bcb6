// The hand-written guest helpers run on this (x86-64 Linux) host as in the guest: the same
// system calls, and the call's errno as the exit status. The clock helper is only run here
// with input the kernel refuses before it changes anything (the guest test sets a clock).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { reseedHelperElf, setClockHelperElf, timespec } from './helper-elfs.ts';

const skip = process.arch !== 'x64' || process.platform !== 'linux' ? 'x86-64 Linux only' : false;
const root = os.userInfo().uid === 0;

test('the reseed helper asks the kernel to reseed its CRNG and exits with the errno', { skip }, (t) => {
  const file = path.join(tempDir(t, 'wreseed-'), 'reseed');
  writeFileSync(file, reseedHelperElf(), { mode: 0o755 });
  const r = spawnSync(file, [], { encoding: 'utf8' });
  assert.equal(r.signal, null, 'the program ran to its exit');
  assert.equal(r.status, root ? 0 : 1, 'root may reseed (0); anyone else gets EPERM (1)');
  assert.equal(r.stdout + r.stderr, '');
});

test('the clock helper refuses a short timespec and passes on the kernel’s refusal', { skip }, (t) => {
  const file = path.join(tempDir(t, 'wclock-'), 'set-clock');
  writeFileSync(file, setClockHelperElf(), { mode: 0o755 });
  const short = spawnSync(file, [], { input: Buffer.alloc(3) });
  assert.equal(short.signal, null);
  assert.equal(short.status, 22, 'EINVAL: not 16 bytes');
  // Nanoseconds past 999,999,999: clock_settime refuses it (EINVAL) or, not root, EPERM.
  const bad = Buffer.alloc(16);
  bad.writeBigInt64LE(2_000_000_000n, 0);
  bad.writeBigInt64LE(1_500_000_000n, 8);
  const r = spawnSync(file, [], { input: bad });
  assert.equal(r.signal, null, 'the program ran to its exit');
  assert.ok(r.status === 22 || (!root && r.status === 1), `status ${r.status}`);
});

test('the helpers are the same bytes at every build; a timespec is seconds and nanoseconds', () => {
  assert.deepEqual(reseedHelperElf(), reseedHelperElf());
  assert.equal(reseedHelperElf().length, 176);
  assert.equal(setClockHelperElf().length, 193);
  assert.equal(setClockHelperElf().subarray(0, 4).toString('latin1'), '\x7fELF');
  const ts = timespec(1_800_000_000_123);
  assert.equal(ts.readBigInt64LE(0), 1_800_000_000n);
  assert.equal(ts.readBigInt64LE(8), 123_000_000n);
});
