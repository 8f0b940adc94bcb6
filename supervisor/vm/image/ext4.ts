// A read-only root filesystem image made from a host folder without mounting anything
// (mkfs.ext4 -d, from e2fsprogs), sized to its content. Fixed UUID, hash seed and
// creation time, so the same folder gives the same bytes and the same content address.

import { lstatSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { mustRun, type RunCommand, runCommand } from './host-tools.ts';

const BLOCK = 4096;
/** Fixed so images repeat: a UUID of our own for both the filesystem and its directory hashes. */
const FIXED_UUID = '5e1f0a1d-0000-4000-8000-77617264656e';

export interface Ext4Plan {
  /** Filesystem size in 4 KiB blocks. */
  blocks: number;
  inodes: number;
}

/** What a tree needs: its files' blocks, one inode each, and slack for ext4's own metadata. */
export function planExt4(tree: { bytes: number; entries: number }): Ext4Plan {
  const inodes = Math.ceil((tree.entries + 64) * 1.1);
  const dataBlocks = Math.ceil(tree.bytes / BLOCK);
  // Inode tables (256 bytes each), bitmaps and group descriptors, plus 10% and 8 MiB.
  const metaBlocks = Math.ceil((inodes * 256) / BLOCK) + 1024;
  return { blocks: Math.ceil((dataBlocks + metaBlocks) * 1.1) + 2048, inodes };
}

/** Sizes a folder: bytes rounded up to blocks, and how many entries it holds. */
export function measureTree(root: string): { bytes: number; entries: number } {
  let bytes = 0;
  let entries = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      const st = lstatSync(p);
      entries++;
      bytes += Math.ceil(st.size / BLOCK) * BLOCK;
      if (st.isDirectory()) walk(p);
    }
  };
  walk(root);
  return { bytes, entries };
}

export function mkfsArgs(root: string, outFile: string, plan: Ext4Plan): string[] {
  return [
    '-F',
    '-q',
    '-t',
    'ext4',
    '-b',
    String(BLOCK),
    '-N',
    String(plan.inodes),
    '-m',
    '0',
    '-L',
    'warden-root',
    '-U',
    FIXED_UUID,
    // Mounted read-only under an overlay: no journal; no metadata checksums (no crc32c needed).
    '-O',
    '^has_journal,^metadata_csum,^resize_inode',
    '-E',
    `hash_seed=${FIXED_UUID},root_owner=0:0`,
    '-d',
    root,
    outFile,
    String(plan.blocks),
  ];
}

/** Makes `outFile` from `root`. Throws with mkfs's message when e2fsprogs is missing or fails. */
export function makeExt4Image(root: string, outFile: string, run: RunCommand = runCommand): Ext4Plan {
  const plan = planExt4(measureTree(root));
  rmSync(outFile, { force: true });
  try {
    mustRun(run, 'mkfs.ext4', mkfsArgs(root, outFile, plan), { env: { E2FSPROGS_FAKE_TIME: '1' } });
  } catch (error) {
    throw new Error(
      `making the root filesystem failed (is e2fsprogs installed? apt-get install e2fsprogs): ${(error as Error).message}`,
    );
  }
  return plan;
}
