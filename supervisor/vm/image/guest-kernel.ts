// The guest kernel of every image: Debian's generic kernel package (it has 9p, which the
// cloud kernel lacks), its uncompressed ELF, and the modules the guest loads, in order.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { mustRun, parseKernelDepends, type RunCommand } from './host-tools.ts';
import { extractVmlinux, moduleDepends, moduleLoadOrder, moduleName } from './kernel.ts';

export const KERNEL_META_PACKAGE = 'linux-image-amd64';

/**
 * Modules every guest loads, besides what they depend on: the virtio transport and console,
 * the root disk (virtio_blk, ext4 under an overlay; ext4 asks for crc32c), the network, and
 * the balloon whose free page reporting hands the pages a guest frees back to the host.
 */
export const GUEST_MODULES = [
  'virtio_mmio',
  'virtio_console',
  'virtio_blk',
  'crc32c_generic',
  'ext4',
  'overlay',
  'virtio_net',
  'virtio_balloon',
];
/** Loaded only when the sandbox shares a workspace (9p), to keep boots without one short. */
export const WORKSPACE_MODULES = ['9pnet_virtio', '9p'];

export interface GuestKernel {
  version: string;
  vmlinux: Buffer;
  /** Module names in load order, with their .ko bytes; `workspace` ones only load for a 9p share. */
  modules: { name: string; data: Buffer; workspace: boolean }[];
}

function findFiles(dir: string, suffix: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) findFiles(full, suffix, out);
    else if (name.endsWith(suffix)) out.push(full);
  }
  return out;
}

/** `apt-get download`s the kernel linux-image-amd64 points at into `dir`; returns the .deb. */
export function downloadKernel(run: RunCommand, dir: string, log: (m: string) => void): string {
  let deps = run('apt-cache', ['depends', KERNEL_META_PACKAGE]);
  if (deps.status !== 0 || !parseKernelDepends(deps.stdout, KERNEL_META_PACKAGE)) {
    log('apt-get update (the package lists do not know the kernel yet)');
    mustRun(run, 'apt-get', ['update', '-qq']);
    deps = run('apt-cache', ['depends', KERNEL_META_PACKAGE]);
  }
  const pkg = parseKernelDepends(deps.stdout, KERNEL_META_PACKAGE);
  if (!pkg) throw new Error(`cannot tell which kernel ${KERNEL_META_PACKAGE} depends on: ${deps.stderr}`);
  log(`downloading ${pkg}`);
  mustRun(run, 'apt-get', ['download', '-q', pkg], { cwd: dir });
  const deb = readdirSync(dir).find((f) => f.startsWith(pkg + '_') && f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg} left no .deb`);
  return path.join(dir, deb);
}

/** Unpacks a kernel .deb into `dir` and takes out what the guest boots and loads. */
export function unpackKernel(
  run: RunCommand,
  deb: string,
  dir: string,
  log: (m: string) => void,
): GuestKernel {
  mustRun(run, 'dpkg-deb', ['-x', deb, dir]);
  const vmlinuz = readdirSync(path.join(dir, 'boot')).find((f) => f.startsWith('vmlinuz-'));
  if (!vmlinuz) throw new Error(`${deb} has no /boot/vmlinuz-*`);
  const version = vmlinuz.slice('vmlinuz-'.length);
  log(`extracting the uncompressed kernel ${version}`);
  const vmlinux = extractVmlinux(readFileSync(path.join(dir, 'boot', vmlinuz)));
  const koFiles = new Map<string, string>();
  for (const f of findFiles(path.join(dir, 'lib', 'modules', version), '.ko')) koFiles.set(moduleName(f), f);
  const koOf = (name: string): string => {
    const f = koFiles.get(name);
    if (!f) throw new Error(`kernel module ${name} not found in ${deb}`);
    return f;
  };
  const depends = (n: string) => moduleDepends(readFileSync(koOf(n)));
  const base = new Set(moduleLoadOrder(GUEST_MODULES, depends));
  const order = moduleLoadOrder([...GUEST_MODULES, ...WORKSPACE_MODULES], depends);
  log(`modules: ${order.join(' ')}`);
  return {
    version,
    vmlinux,
    modules: order.map((name) => ({ name, data: readFileSync(koOf(name)), workspace: !base.has(name) })),
  };
}
