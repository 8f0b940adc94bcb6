import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { treeDigest, writeTree } from './tree.ts';

test('writeTree lays entries out with their modes; the digest follows content, not times', () => {
  const a = mkdtempSync(path.join(os.tmpdir(), 'wtree-'));
  const b = mkdtempSync(path.join(os.tmpdir(), 'wtree-'));
  try {
    const entries = [
      { kind: 'file' as const, path: 'opt/warden/init', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { kind: 'symlink' as const, path: 'bin/sh', target: '../opt/warden/bin/busybox' },
      { kind: 'dir' as const, path: 'tmp', mode: 0o1777 },
      { kind: 'chardev' as const, path: 'dev/console', major: 5, minor: 1 },
    ];
    writeTree(a, entries);
    assert.equal(readFileSync(path.join(a, 'opt/warden/init'), 'utf8'), '#!/bin/sh\n');
    assert.equal(lstatSync(path.join(a, 'opt/warden/init')).mode & 0o7777, 0o755);
    assert.equal(lstatSync(path.join(a, 'tmp')).mode & 0o7777, 0o1777);
    assert.equal(readlinkSync(path.join(a, 'bin/sh')), '../opt/warden/bin/busybox');
    assert.throws(() => lstatSync(path.join(a, 'dev/console')), /ENOENT/);
    writeTree(b, [...entries].reverse());
    assert.equal(treeDigest(a), treeDigest(b));
    writeFileSync(path.join(b, 'opt/warden/init'), '#!/bin/sh\nexit 1\n');
    assert.notEqual(treeDigest(a), treeDigest(b));
    assert.throws(() => writeTree(a, [{ kind: 'dir', path: '../escape' }]), /outside the tree/);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
