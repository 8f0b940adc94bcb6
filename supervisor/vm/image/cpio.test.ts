import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { withParentDirs, writeCpio } from './cpio.ts';

test('newc archives are deterministic, padded, and unpack with cpio(1) when it is there', () => {
  const entries = withParentDirs([
    { kind: 'file', path: '/usr/bin/tool', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
    { kind: 'symlink', path: 'bin/sh', target: '../usr/bin/tool' },
    { kind: 'file', path: 'etc/odd', data: Buffer.from('abc') },
  ]);
  assert.deepEqual(
    entries.map((e) => e.path),
    ['bin', 'bin/sh', 'etc', 'etc/odd', 'usr', 'usr/bin', 'usr/bin/tool'],
  );
  const a = writeCpio(entries);
  assert.deepEqual(a, writeCpio(entries));
  assert.equal(a.length % 512, 0);
  assert.equal(a.subarray(0, 6).toString(), '070701');
  assert.ok(a.includes(Buffer.from('TRAILER!!!')));
  if (spawnSync('cpio', ['--version']).status !== 0) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cpio-test-'));
  try {
    writeFileSync(path.join(dir, 'a.cpio'), a);
    const r = spawnSync('sh', ['-c', 'mkdir out && cd out && cpio -id --quiet < ../a.cpio'], { cwd: dir });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(readFileSync(path.join(dir, 'out/usr/bin/tool'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(statSync(path.join(dir, 'out/usr/bin/tool')).mode & 0o777, 0o755);
    assert.equal(readlinkSync(path.join(dir, 'out/bin/sh')), '../usr/bin/tool');
    assert.equal(readFileSync(path.join(dir, 'out/etc/odd'), 'utf8'), 'abc');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
