// Builds the Debian guest root filesystem (debootstrap + apt, shrunk) and packs it into a
// read-only ext4 image. Needs root, debootstrap and e2fsprogs.
//   node --import tsx build/guest/full-image-rootfs.ts --out FILE [--cache DIR] [--suite S] [--mirror URL] [--keep-tree]
// The tree is built in a temporary folder under /var/tmp and removed unless --keep-tree.
// --cache defaults to /var/tmp/warden-debootstrap-cache. Prints timings and sizes.

import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { buildDebianRootfs } from '../../supervisor/vm/image/debian-rootfs.ts';
import { makeExt4Image } from '../../supervisor/vm/image/ext4-image.ts';

const usage =
  'usage: full-image-rootfs.ts --out FILE [--cache DIR] [--suite SUITE] [--mirror URL] [--keep-tree]';
const args = process.argv.slice(2);
let out: string | undefined;
let cacheDir = '/var/tmp/warden-debootstrap-cache';
let suite: string | undefined;
let mirror: string | undefined;
let keepTree = false;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const value = (): string => {
    const v = args[++i];
    if (!v) {
      console.error(`${usage}  (${a} needs a value)`);
      process.exit(2);
    }
    return v;
  };
  if (a === '--out') out = path.resolve(value());
  else if (a === '--cache') cacheDir = path.resolve(value());
  else if (a === '--suite') suite = value();
  else if (a === '--mirror') mirror = value();
  else if (a === '--keep-tree') keepTree = true;
  else {
    console.error(`${usage}  (unknown argument ${a})`);
    process.exit(2);
  }
}
if (!out) {
  console.error(usage);
  process.exit(2);
}

const log = (m: string): void => {
  console.error(`rootfs: ${m}`);
};
const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const dir = mkdtempSync('/var/tmp/warden-rootfs-');
try {
  const rootfs = await buildDebianRootfs({ dir, suite, mirror, cacheDir, log });
  log(
    `${rootfs.suite} from ${rootfs.mirror}: debootstrap ${s(rootfs.debootstrapMs)}, apt ${s(rootfs.aptMs)}, ` +
      `total ${s(rootfs.buildMs)}; tree ${mib(rootfs.unshrunkBytes)} -> ${mib(rootfs.sizeBytes)} after shrinking`,
  );
  log(
    `versions: ${Object.entries(rootfs.versions)
      .map(([p, v]) => `${p} ${v}`)
      .join(', ')}`,
  );
  const image = await makeExt4Image(dir, out, { log });
  log(`ext4 image ${out}: ${mib(image.sizeBytes)} (${image.inodes} inodes) in ${s(image.buildMs)}`);
  log(`sha256 ${image.sha256}`);
  console.log(out);
} catch (e) {
  console.error(`rootfs: ${(e as Error).message}`);
  if (!keepTree) console.error('rootfs: the tree is removed; rerun with --keep-tree to inspect it');
  process.exitCode = 1;
} finally {
  if (keepTree) log(`tree kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
