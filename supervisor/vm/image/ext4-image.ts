// An ext4 image of a folder, made without mounting (`mkfs.ext4 -d`, e2fsprogs >= 1.43), sized
// to the content plus a modest slack, with no journal (the guest mounts it read-only).
//
// Reproducibility: the same tree gives the same image. UUID and directory hash seed are
// derived from the tree's listing; filesystem times come from E2FSPROGS_FAKE_TIME (mke2fs
// 1.47.0 ignores SOURCE_DATE_EPOCH, which is passed too for newer versions); mkfs copies
// each file's mtime, atime and ctime, so atime and ctime, which reading and chmod change
// on the host, are set to the epoch afterwards with debugfs.

import { createHash } from 'node:crypto';
import {
  createReadStream,
  lstatSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { type RunCommand, runCommand } from './host-tools.ts';

const BLOCK = 4096;
const INODE_SIZE = 256;
const BLOCKS_PER_GROUP = 8 * BLOCK;
const MIB = 1024 * 1024;

export interface TreeSize {
  /** Apparent bytes of regular files and symlinks (hard links once). */
  bytes: number;
  /** Inodes the tree needs (files, dirs, links; hard links once). */
  inodes: number;
  /** 4 KiB blocks for file data, long symlinks and directories. */
  dataBlocks: number;
  /** The newest mtime, in seconds. */
  newestMtime: number;
  /** A digest of paths, modes, owners, sizes, mtimes and link targets. */
  listingSha256: string;
  /** Paths debugfs cannot name (newlines in them); their times are left as mkfs copied them. */
  unnamable: number;
  paths: string[];
}

const blocksFor = (bytes: number): number => Math.ceil(bytes / BLOCK);

/** Directory bytes as ext4 stores them: 12 bytes per `.`/`..`, 8 + name rounded to 4 per entry. */
export function dirBytes(names: string[]): number {
  let n = 24;
  for (const name of names) n += 8 + Math.ceil(Buffer.byteLength(name) / 4) * 4;
  return n;
}

export function treeSize(root: string): TreeSize {
  const seen = new Set<string>();
  const hash = createHash('sha256');
  const paths: string[] = [];
  const t: Omit<TreeSize, 'listingSha256' | 'paths'> = {
    bytes: 0,
    inodes: 0,
    dataBlocks: 0,
    newestMtime: 0,
    unnamable: 0,
  };
  const walk = (rel: string): void => {
    const full = path.join(root, rel);
    const st = lstatSync(full);
    const key = `${st.dev}:${st.ino}`;
    const again = seen.has(key);
    seen.add(key);
    const target = st.isSymbolicLink() ? readlinkSync(full) : '';
    hash.update(
      `${rel}\0${st.mode}\0${st.uid}:${st.gid}\0${st.size}\0${Math.floor(st.mtimeMs / 1000)}\0${target}\n`,
    );
    paths.push('/' + rel);
    if (rel.includes('\n')) t.unnamable++;
    if (again) return;
    t.inodes++;
    t.newestMtime = Math.max(t.newestMtime, Math.floor(st.mtimeMs / 1000));
    if (st.isDirectory()) {
      const names = readdirSync(full).sort();
      t.dataBlocks += blocksFor(dirBytes(names));
      for (const name of names) walk(rel === '' ? name : `${rel}/${name}`);
    } else if (st.isFile()) {
      t.bytes += st.size;
      t.dataBlocks += blocksFor(st.size);
    } else if (st.isSymbolicLink()) {
      t.bytes += st.size;
      if (st.size >= 60) t.dataBlocks += 1; // shorter targets live in the inode
    }
  };
  walk('');
  return { ...t, listingSha256: hash.digest('hex'), paths };
}

export interface Ext4Plan {
  sizeBytes: number;
  inodes: number;
}

/**
 * Image size for a tree: data and directory blocks, inode tables, per-group bitmaps,
 * descriptors and superblock backups, then SLACK (a fraction, default 5%, at least
 * MIN_SLACK bytes, default 8 MiB), rounded up to a MiB. Room for 10% more inodes.
 */
export function planExt4(
  tree: Pick<TreeSize, 'inodes' | 'dataBlocks'>,
  slack = 0.05,
  minSlack = 8 * MIB,
): Ext4Plan {
  const inodes = Math.ceil(tree.inodes * 1.1) + 64;
  const inodeBlocks = blocksFor(inodes * INODE_SIZE);
  let blocks = tree.dataBlocks + inodeBlocks + 64; // root, lost+found, superblock
  const groups = Math.ceil(blocks / BLOCKS_PER_GROUP) + 1;
  const descriptorBlocks = blocksFor(groups * 64);
  // Two bitmaps per group; a superblock and descriptor copy in (at most) every group.
  blocks += groups * (2 + 1 + descriptorBlocks);
  const bytes = blocks * BLOCK;
  const withSlack = bytes + Math.max(bytes * slack, minSlack);
  return { sizeBytes: Math.ceil(withSlack / MIB) * MIB, inodes };
}

/** "8-4-4-4-12" hex from 16 bytes of HEX. */
export function uuidFromHex(hex: string): string {
  const h = hex.slice(0, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function mkfsArgs(o: {
  rootDir: string;
  outFile: string;
  plan: Ext4Plan;
  uuid: string;
  hashSeed: string;
  label: string;
}): string[] {
  return [
    '-q',
    '-F',
    '-b',
    String(BLOCK),
    '-I',
    String(INODE_SIZE),
    '-N',
    String(o.plan.inodes),
    '-m',
    '0',
    '-O',
    '^has_journal,^resize_inode',
    '-E',
    `hash_seed=${o.hashSeed},root_owner=0:0,lazy_itable_init=0,nodiscard`,
    '-U',
    o.uuid,
    '-L',
    o.label,
    '-d',
    o.rootDir,
    o.outFile,
    `${o.plan.sizeBytes / 1024}k`,
  ];
}

/** debugfs commands that set atime and ctime of every path to EPOCH. */
export function debugfsTimeCommands(paths: string[], epoch: number): string {
  const lines: string[] = [];
  for (const p of paths) {
    if (p.includes('\n')) continue;
    const q = `"${p.replace(/"/g, '""')}"`;
    lines.push(`sif ${q} atime @${epoch}`, `sif ${q} ctime @${epoch}`);
  }
  return lines.join('\n') + '\n';
}

export interface Ext4Options {
  /** Fraction of free space on top of the content (default 0.05, at least minSlackBytes). */
  slack?: number;
  minSlackBytes?: number;
  /** Seconds for filesystem and inode times (default $SOURCE_DATE_EPOCH or the tree's newest mtime). */
  epoch?: number;
  label?: string;
  uuid?: string;
  hashSeed?: string;
  run?: RunCommand;
  log?: (m: string) => void;
}

export interface Ext4Image {
  file: string;
  sizeBytes: number;
  sha256: string;
  inodes: number;
  contentBytes: number;
  buildMs: number;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function makeExt4Image(
  rootDir: string,
  outFile: string,
  opts: Ext4Options = {},
): Promise<Ext4Image> {
  const started = Date.now();
  const run = opts.run ?? runCommand;
  const log = opts.log ?? (() => {});
  if (run('mkfs.ext4', ['-V']).status === null || run('debugfs', ['-V']).status === null)
    throw new Error(
      'mkfs.ext4 or debugfs is missing: apt-get install e2fsprogs (1.43 or newer, for mkfs -d)',
    );
  const tree = treeSize(rootDir);
  const envEpoch = Number(process.env.SOURCE_DATE_EPOCH);
  const epoch = opts.epoch ?? (Number.isInteger(envEpoch) && envEpoch > 0 ? envEpoch : tree.newestMtime);
  const env = [`E2FSPROGS_FAKE_TIME=${epoch}`, `SOURCE_DATE_EPOCH=${epoch}`];
  const uuid = opts.uuid ?? uuidFromHex(tree.listingSha256);
  const hashSeed = opts.hashSeed ?? uuidFromHex(tree.listingSha256.slice(32));
  let plan = planExt4(tree, opts.slack, opts.minSlackBytes);
  for (let attempt = 1; ; attempt++) {
    rmSync(outFile, { force: true });
    log(`mkfs.ext4: ${tree.inodes} inodes, ${(plan.sizeBytes / MIB).toFixed(0)} MiB`);
    const args = mkfsArgs({ rootDir, outFile, plan, uuid, hashSeed, label: opts.label ?? 'warden-root' });
    const r = run('env', [...env, 'mkfs.ext4', ...args]);
    if (r.status === 0) break;
    const full = /no space|could not allocate|not enough space/i.test(r.stderr + r.stdout);
    if (!full || attempt >= 3)
      throw new Error(`mkfs.ext4 -d ${rootDir} failed (${r.status}): ${(r.stderr || r.stdout).trim()}`);
    plan = { ...plan, sizeBytes: Math.ceil((plan.sizeBytes * 1.25) / MIB) * MIB };
  }
  if (tree.unnamable > 0) log(`${tree.unnamable} paths with newlines keep their host atime/ctime`);
  const cmds = `${outFile}.debugfs`;
  writeFileSync(cmds, debugfsTimeCommands(tree.paths, epoch));
  try {
    const r = run('env', [...env, 'debugfs', '-w', '-f', cmds, outFile]);
    const errors = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^debugfs \d/.test(l));
    if (r.status !== 0 || errors.length > 0)
      throw new Error(`debugfs could not set inode times in ${outFile}: ${errors.slice(0, 5).join('; ')}`);
  } finally {
    rmSync(cmds, { force: true });
  }
  return {
    file: outFile,
    sizeBytes: statSync(outFile).size,
    sha256: await sha256File(outFile),
    inodes: tree.inodes,
    contentBytes: tree.bytes,
    buildMs: Date.now() - started,
  };
}
