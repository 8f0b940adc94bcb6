// The guest kernel: the uncompressed ELF inside a bzImage (booting it skips the in-guest
// decompression that costs seconds under TCG), and the order kernel modules load in.

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

interface Codec {
  name: string;
  magic: Buffer;
  command: string[];
}

const CODECS: Codec[] = [
  { name: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), command: ['xz', '-dc'] },
  { name: 'zstd', magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), command: ['zstd', '-dc'] },
  { name: 'gzip', magic: Buffer.from([0x1f, 0x8b, 0x08]), command: ['gzip', '-dc'] },
];

/**
 * Finds the compressed payload inside a bzImage and decompresses it (like the kernel's
 * scripts/extract-vmlinux). Decompressors complain about the bytes after the payload, so
 * the answer is judged by its ELF magic rather than their exit code. The payload reaches
 * the decompressor as a file on its stdin, not a pipe: a decompressor that stops reading at
 * the end of its stream must not turn into an EPIPE for the writer.
 */
export function extractVmlinux(bzImage: Buffer): Buffer {
  if (bzImage.subarray(0, 4).equals(ELF_MAGIC)) return bzImage;
  const tried: string[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-vmlinux-'));
  try {
    for (const codec of CODECS) {
      let at = bzImage.indexOf(codec.magic);
      while (at >= 0) {
        const [cmd, ...args] = codec.command as [string, ...string[]];
        const payload = path.join(dir, 'payload');
        writeFileSync(payload, bzImage.subarray(at));
        const fd = openSync(payload, 'r');
        let r: ReturnType<typeof spawnSync>;
        try {
          r = spawnSync(cmd, args, { stdio: [fd, 'pipe', 'pipe'], maxBuffer: 1 << 30 });
        } finally {
          closeSync(fd);
        }
        if (r.error) {
          tried.push(`${codec.name}: ${r.error.message}`);
          break;
        }
        const out = r.stdout as Buffer;
        if (out.length > 4 && out.subarray(0, 4).equals(ELF_MAGIC)) return out;
        tried.push(`${codec.name}@${at}: not an ELF`);
        at = bzImage.indexOf(codec.magic, at + 1);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`no ELF kernel found inside the bzImage (${tried.join('; ') || 'no known payload'})`);
}

/** The `depends=` field of a module's .modinfo section (names, '-' normalised to '_'). */
export function moduleDepends(ko: Buffer): string[] {
  const key = Buffer.from('\0depends=');
  const at = ko.indexOf(key);
  if (at < 0) return [];
  const start = at + key.length;
  const end = ko.indexOf(0, start);
  const field = ko.subarray(start, end < 0 ? undefined : end).toString('utf8');
  return field
    .split(',')
    .map((s) => s.trim().replace(/-/g, '_'))
    .filter((s) => s !== '');
}

/** The normalised name of a module file: `.../9pnet-virtio.ko` → `9pnet_virtio`. */
export function moduleName(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

/**
 * Orders `wanted` and everything they depend on so that each module comes after its
 * dependencies. `dependsOf` gives a module's direct dependencies.
 */
export function moduleLoadOrder(wanted: string[], dependsOf: (name: string) => string[]): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`module dependency cycle: ${[...chain, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dep of dependsOf(name)) visit(dep, [...chain, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const w of wanted) visit(w, []);
  return order;
}
