import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { makeSandboxDisk, parseDiskSize } from './sandbox-disk.ts';

test('parseDiskSize reads the sizes users type, in MiB', () => {
  assert.equal(parseDiskSize('8G'), 8192);
  assert.equal(parseDiskSize('8GiB'), 8192);
  assert.equal(parseDiskSize('512M'), 512);
  assert.equal(parseDiskSize('512'), 512);
  assert.equal(parseDiskSize('1.5g'), 1536);
  assert.equal(parseDiskSize('1T'), 1024 * 1024);
  for (const bad of ['', 'big', '-1G', '8X', '8 G B']) assert.equal(parseDiskSize(bad), undefined, bad);
});

test('makeSandboxDisk makes a sparse ext4 file that e2fsck accepts', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wdisk-'));
  try {
    const file = path.join(dir, 'disk.img');
    makeSandboxDisk(file, 8192);
    const st = statSync(file);
    assert.equal(st.size, 8 * 2 ** 30);
    assert.ok(st.blocks * 512 < 64 * 2 ** 20, `sparse: ${st.blocks * 512} bytes allocated`);
    assert.equal((st.mode & 0o777).toString(8), '600');
    const fsck = spawnSync('e2fsck', ['-fn', file], { encoding: 'utf8' });
    assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile: an existing file is never overwritten, sizes out of range are refused', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wdisk-'));
  try {
    const file = path.join(dir, 'disk.img');
    writeFileSync(file, 'precious');
    assert.throws(() => makeSandboxDisk(file, 128), /EEXIST/);
    assert.throws(() => makeSandboxDisk(path.join(dir, 'b'), 1), /out of range/);
    assert.throws(() => makeSandboxDisk(path.join(dir, 'c'), 10 * 1024 * 1024), /out of range/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
