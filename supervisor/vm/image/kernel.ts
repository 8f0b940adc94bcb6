// The guest kernel: the uncompressed ELF inside a bzImage (booting it skips the in-guest
// decompression that costs seconds under TCG), and the order kernel modules load in.

import { spawnSync } from 'node:child_process';

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
 * the answer is judged by its ELF magic rather than their exit code.
 */
export function extractVmlinux(bzImage: Buffer): Buffer {
  if (bzImage.subarray(0, 4).equals(ELF_MAGIC)) return bzImage;
  const tried: string[] = [];
  for (const codec of CODECS) {
    let at = bzImage.indexOf(codec.magic);
    while (at >= 0) {
      const [cmd, ...args] = codec.command as [string, ...string[]];
      const r = spawnSync(cmd, args, { input: bzImage.subarray(at), maxBuffer: 1 << 30 });
      if (r.error) {
        tried.push(`${codec.name}: ${r.error.message}`);
        break;
      }
      if (r.stdout.length > 4 && r.stdout.subarray(0, 4).equals(ELF_MAGIC)) return r.stdout;
      tried.push(`${codec.name}@${at}: not an ELF`);
      at = bzImage.indexOf(codec.magic, at + 1);
    }
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
