import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { imageId, imageSize, listImages, MANIFEST_FILE, parseManifest, verifyImage } from './manifest.ts';
import { VerifiedImages } from './verified-images.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** An image folder with the given files; returns its folder. */
function writeImage(root: string, files: Record<string, Buffer>, format: 1 | 2): string {
  const kernel = {
    file: 'vmlinux',
    sha256: sha(files.vmlinux!),
    size: files.vmlinux!.length,
    version: '6.1',
  };
  const initrd = {
    file: 'initrd.cpio',
    sha256: sha(files['initrd.cpio']!),
    size: files['initrd.cpio']!.length,
  };
  const rootfs = files['rootfs.ext4']
    ? {
        file: 'rootfs.ext4',
        sha256: sha(files['rootfs.ext4']),
        size: files['rootfs.ext4'].length,
        fs: 'ext4',
      }
    : undefined;
  const id = imageId(kernel.sha256, initrd.sha256, rootfs?.sha256);
  const dir = path.join(root, id);
  mkdirSync(dir);
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(dir, name), data);
  const manifest = {
    format,
    id,
    name: 'minimal',
    kernel,
    initrd,
    rootfs,
    agent: 'a',
    protocol: 1,
    builtAt: 'x',
  };
  writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  return dir;
}

test('format 2 images carry a root filesystem that is hashed into the id and verified', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'wimg-'));
  try {
    const files = {
      vmlinux: Buffer.from('kernel'),
      'initrd.cpio': Buffer.from('initrd'),
      'rootfs.ext4': Buffer.from('rootfs'),
    };
    const dir = writeImage(root, files, 2);
    const image = await verifyImage(dir);
    assert.equal(image.rootfsPath, path.join(dir, 'rootfs.ext4'));
    assert.equal(imageSize(image.manifest), 6 + 6 + 6);
    assert.equal(listImages(root).length, 1);
    writeFileSync(path.join(dir, 'rootfs.ext4'), 'rootfX');
    await assert.rejects(verifyImage(dir), /root filesystem hash mismatch/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('format 1 images (the whole guest in the initramfs) stay readable', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'wimg-'));
  try {
    const dir = writeImage(root, { vmlinux: Buffer.from('k'), 'initrd.cpio': Buffer.from('i') }, 1);
    const image = await verifyImage(dir);
    assert.equal(image.rootfsPath, undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a manifest whose id does not cover its root filesystem is refused', () => {
  const k = 'a'.repeat(64);
  const i = 'b'.repeat(64);
  const r = 'c'.repeat(64);
  const base = {
    format: 2,
    name: 'minimal',
    kernel: { file: 'vmlinux', sha256: k, size: 1, version: '6.1' },
    initrd: { file: 'initrd.cpio', sha256: i, size: 1 },
    rootfs: { file: 'rootfs.ext4', sha256: r, size: 1, fs: 'ext4' },
  };
  assert.doesNotThrow(() => parseManifest(JSON.stringify({ ...base, id: imageId(k, i, r) })));
  assert.throws(() => parseManifest(JSON.stringify({ ...base, id: imageId(k, i) })), /does not match/);
  assert.throws(() => parseManifest(JSON.stringify({ ...base, format: 9, id: imageId(k, i, r) })), /format/);
  assert.throws(
    () =>
      parseManifest(
        JSON.stringify({ ...base, rootfs: { ...base.rootfs, file: '../x' }, id: imageId(k, i, r) }),
      ),
    /plain file name/,
  );
});

test('an image is hashed again only when one of its files changed since it was found intact', async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'wimg-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = writeImage(
    root,
    {
      vmlinux: Buffer.from('kernel'),
      'initrd.cpio': Buffer.from('initrd'),
      'rootfs.ext4': Buffer.from('rootfs'),
    },
    2,
  );
  let hashed = 0;
  const verified = new VerifiedImages((d) => {
    hashed++;
    return verifyImage(d);
  });
  assert.equal((await verified.check(dir)).id, path.basename(dir));
  await verified.check(dir);
  assert.equal(hashed, 1, 'the same files are not hashed twice');
  // Same size, same mtime put back: the ctime still changes, so the image is hashed again.
  const rootfs = path.join(dir, 'rootfs.ext4');
  const { atime, mtime } = statSync(rootfs);
  writeFileSync(rootfs, 'rootfX');
  utimesSync(rootfs, atime, mtime);
  await assert.rejects(verified.check(dir), /root filesystem hash mismatch/);
  assert.equal(hashed, 2);
  await assert.rejects(verified.check(dir), /root filesystem hash mismatch/, 'a failed check is not kept');
  writeFileSync(rootfs, 'rootfs');
  await verified.check(dir);
  assert.equal(hashed, 4);
});
