import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { makeExt4Image } from './ext4-image.ts';
import { runCommand } from './host-tools.ts';

const skip = runCommand('mkfs.ext4', ['-V']).status === null ? 'e2fsprogs is not installed' : false;

test('makeExt4Image: e2fsck accepts it, and the same tree gives the same bytes after reads and chmods', {
  skip,
}, async () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'wext4-'));
  try {
    const root = path.join(work, 'root');
    mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
    writeFileSync(path.join(root, 'usr/bin/tool'), Buffer.alloc(200_000, 7), { mode: 0o755 });
    writeFileSync(path.join(root, 'etc.txt'), 'hello\n');
    symlinkSync('usr/bin/tool', path.join(root, 'tool'));
    const a = await makeExt4Image(root, path.join(work, 'a.img'));
    const fsck = runCommand('e2fsck', ['-fn', a.file]);
    assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
    readFileSync(path.join(root, 'usr/bin/tool')); // atime
    chmodSync(path.join(root, 'etc.txt'), 0o644); // ctime
    const b = await makeExt4Image(root, path.join(work, 'b.img'));
    assert.equal(b.sha256, a.sha256);
    writeFileSync(path.join(root, 'etc.txt'), 'changed\n');
    const c = await makeExt4Image(root, path.join(work, 'c.img'));
    assert.notEqual(c.sha256, a.sha256);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
