// Writes image entries (the same description the initramfs uses) into a host folder, the
// source mkfs.ext4 makes a root filesystem from; and the digest of such a folder.

import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { type CpioEntry, withParentDirs } from './cpio.ts';

/** Writes `entries` under `root` (replacing what is at their paths); device nodes are left out. */
export function writeTree(root: string, entries: Iterable<CpioEntry>): void {
  for (const e of withParentDirs([...entries])) {
    const target = path.join(root, e.path);
    if (!target.startsWith(root + path.sep)) throw new Error(`entry outside the tree: ${e.path}`);
    switch (e.kind) {
      case 'dir':
        mkdirSync(target, { recursive: true });
        chmodSync(target, e.mode ?? 0o755);
        break;
      case 'file':
        rmSync(target, { force: true });
        writeFileSync(target, e.data, { mode: e.mode ?? 0o644 });
        chmodSync(target, e.mode ?? 0o644);
        break;
      case 'symlink':
        rmSync(target, { force: true });
        symlinkSync(e.target, target);
        break;
      case 'chardev':
        continue; // devtmpfs provides /dev in the guest
    }
  }
}

/**
 * A digest of a folder's content (paths, kinds, modes, bytes, link targets; not times or
 * owners), so a rebuild of the same content can reuse the image it made before even though
 * mkfs copies times that reading the files has changed.
 */
export function treeDigest(root: string): string {
  const hash = createHash('sha256');
  const walk = (rel: string): void => {
    const names = readdirSync(path.join(root, rel)).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(root, r);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        hash.update(`d ${r} ${mode}\n`);
        walk(r);
      } else if (st.isSymbolicLink()) {
        hash.update(`l ${r} ${readlinkSync(p)}\n`);
      } else if (st.isFile()) {
        hash.update(`f ${r} ${mode} ${createHash('sha256').update(readFileSync(p)).digest('hex')}\n`);
      } else {
        hash.update(`o ${r} ${mode} ${st.rdev}\n`);
      }
    }
  };
  walk('');
  return hash.digest('hex');
}
