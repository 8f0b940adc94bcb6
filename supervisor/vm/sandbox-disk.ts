// A sandbox's writable layer on disk: a sparse file in the VM's runtime folder (so it goes
// with the VM), formatted ext4 on the host before boot, and attached as a second virtio
// disk the guest's stage 1 finds by its serial and mounts as the overlay's upper layer.
// Sparse and lazily initialised: an 8 GiB disk costs a few MiB until the guest writes.

import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync } from 'node:fs';

export const DEFAULT_DISK_MIB = 8192;
export const MIN_DISK_MIB = 64;
export const MAX_DISK_MIB = 1024 * 1024;

/** Creates FILE as a sparse ext4 disk of SIZEMIB MiB (no journal: the layer dies with the VM). */
export function makeSandboxDisk(file: string, sizeMiB: number, mkfs = 'mkfs.ext4'): void {
  if (!Number.isInteger(sizeMiB) || sizeMiB < MIN_DISK_MIB || sizeMiB > MAX_DISK_MIB)
    throw new Error(
      `disk size out of range: ${sizeMiB} MiB (${MIN_DISK_MIB} MiB to ${MAX_DISK_MIB / 1024} GiB)`,
    );
  const fd = openSync(file, 'wx', 0o600);
  try {
    ftruncateSync(fd, sizeMiB * 2 ** 20);
  } finally {
    closeSync(fd);
  }
  const r = spawnSync(
    mkfs,
    ['-q', '-F', '-m', '0', '-O', '^has_journal,^resize_inode', '-E', 'lazy_itable_init=1,nodiscard', file],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.error || r.status !== 0)
    throw new Error(
      `cannot format the sandbox disk with ${mkfs}: ${r.error?.message ?? r.stderr.trim()} (apt-get install e2fsprogs)`,
    );
}

/** "8G", "512M", "8GiB", "1T" or a plain number of MiB, in MiB; undefined when not a size. */
export function parseDiskSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] || 'm').toLowerCase();
  const mib = Number(m[1]) * { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 }[unit]!;
  return Number.isFinite(mib) ? Math.round(mib) : undefined;
}
