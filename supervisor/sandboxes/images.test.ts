import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { WardenError } from '../api/errors.ts';
import { ERROR_STATUS } from '../server/error-status.ts';
import { ImageStore } from './images.ts';

/** A stand-in for `warden image build`: writes a valid format-2 image folder and prints its id. */
const FAKE_BUILD = `
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const [kind, dir, fail] = process.argv.slice(2);
process.stderr.write('image: downloading the kernel\\nimage: making the root filesystem\\n');
if (fail) { process.stderr.write('image: debootstrap failed: mirror unreachable\\n'); process.exit(4); }
const sha = (s) => createHash('sha256').update(s).digest('hex');
const f = (name, s) => ({ file: name, sha256: sha(s), size: s.length });
const kernel = { ...f('vmlinux', 'k'), version: '6.1' };
const initrd = f('initrd.cpio', 'i');
const rootfs = { ...f('rootfs.ext4', 'r' + kind), fs: 'ext4' };
const id = sha([kernel.sha256, initrd.sha256, rootfs.sha256].map((x) => x + '\\n').join(''));
const out = path.join(dir, id);
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'vmlinux'), 'k');
fs.writeFileSync(path.join(out, 'initrd.cpio'), 'i');
fs.writeFileSync(path.join(out, 'rootfs.ext4'), 'r' + kind);
const manifest = { format: 2, id, name: kind, kernel, initrd, rootfs, agent: 'a', protocol: 1, builtAt: new Date().toISOString() };
fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest));
console.log(id);
`;

function store(dir: string, log: string[], fail = false): ImageStore {
  const script = path.join(dir, 'fake-build.cjs');
  writeFileSync(script, FAKE_BUILD);
  return new ImageStore(path.join(dir, 'images'), (m) => log.push(m), {
    defaultName: 'full',
    buildCommand: (kind, imagesDir) => [process.execPath, script, kind, imagesDir, ...(fail ? ['1'] : [])],
  });
}

test('the default image is built once, in a child process, with its progress logged', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wimages-'));
  try {
    const log: string[] = [];
    const images = store(dir, log);
    assert.equal(images.find(), undefined);
    const [a, b] = await Promise.all([images.resolve(), images.resolve()]);
    assert.equal(a.id, b.id);
    assert.equal(a.name, 'full');
    assert.ok(a.rootfsPath?.endsWith('rootfs.ext4'));
    assert.deepEqual(log, ['downloading the kernel', 'making the root filesystem']);
    assert.equal(images.list().length, 1);
    assert.equal(images.find(a.id.slice(0, 8))?.id, a.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed build says why (its last lines) and what it needs; an unknown name is a 404', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wimages-'));
  try {
    const images = store(dir, [], true);
    await assert.rejects(images.resolve('minimal'), (e: WardenError) => {
      assert.match(e.message, /building the minimal guest image failed: exit code 4: .*mirror unreachable/);
      assert.equal(ERROR_STATUS[e.name], 500);
      return true;
    });
    await assert.rejects(images.resolve('no-such-image'), (e: WardenError) => {
      assert.equal(ERROR_STATUS[e.name], 404);
      assert.match(e.message, /no guest image "no-such-image"/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
