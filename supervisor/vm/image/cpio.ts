// Writes an uncompressed "newc" cpio archive, the format the Linux kernel unpacks as an
// initramfs. Entries carry fixed owner (root) and mtime (0), so the same inputs give the
// same bytes: the image is content-addressed by its hash.

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

function header(
  ino: number,
  mode: number,
  size: number,
  nameLen: number,
  rdev: { major: number; minor: number },
): string {
  return (
    '070701' +
    hex8(ino) +
    hex8(mode) +
    hex8(0) + // uid
    hex8(0) + // gid
    hex8(1) + // nlink
    hex8(0) + // mtime
    hex8(size) +
    hex8(0) + // devmajor
    hex8(0) + // devminor
    hex8(rdev.major) +
    hex8(rdev.minor) +
    hex8(nameLen) +
    hex8(0) // check
  );
}

/** Serialises entries in the order given (parents must come before children). */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, mode: number, data: Uint8Array, rdev = { major: 0, minor: 0 }): void => {
    const nameBuf = Buffer.from(name + '\0', 'utf8');
    const head = Buffer.from(header(ino++, mode, data.length, nameBuf.length, rdev), 'ascii');
    parts.push(head, nameBuf, Buffer.alloc(pad4(head.length + nameBuf.length)));
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength), Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) {
    const name = e.path.replace(/^\/+/, '');
    if (name === '') throw new Error('cpio: empty path');
    switch (e.kind) {
      case 'dir':
        push(name, S_IFDIR | (e.mode ?? 0o755), new Uint8Array());
        break;
      case 'file':
        push(name, S_IFREG | (e.mode ?? 0o644), e.data);
        break;
      case 'symlink':
        push(name, S_IFLNK | 0o777, Buffer.from(e.target, 'utf8'));
        break;
      case 'chardev':
        push(name, S_IFCHR | (e.mode ?? 0o600), new Uint8Array(), { major: e.major, minor: e.minor });
        break;
    }
  }
  push('TRAILER!!!', 0, new Uint8Array());
  const out = Buffer.concat(parts);
  // The kernel reads initramfs in 512-byte blocks; pad like cpio(1) does.
  return Buffer.concat([out, Buffer.alloc((512 - (out.length % 512)) % 512)]);
}

/** Adds the directory entries every path needs, sorted so parents precede children. */
export function withParentDirs(entries: CpioEntry[]): CpioEntry[] {
  const byPath = new Map<string, CpioEntry>();
  for (const e of entries) {
    const p = e.path.replace(/^\/+/, '');
    byPath.set(p, { ...e, path: p });
    const segs = p.split('/');
    for (let i = 1; i < segs.length; i++) {
      const dir = segs.slice(0, i).join('/');
      if (!byPath.has(dir)) byPath.set(dir, { kind: 'dir', path: dir });
    }
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
