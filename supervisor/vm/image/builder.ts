// Builds the minimal guest image from Debian packages and what the host already has:
// Debian's generic kernel (uncompressed ELF + the virtio/9p modules), busybox-static,
// the host's Node binary (the agent's runtime), curl and util-linux `script` (the PTY
// helper), each with its shared-library closure, packed into an uncompressed initramfs.

import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AGENT_NAME } from '../guest/agent.ts';
import { PROTOCOL_VERSION } from '../protocol.ts';
import { type CpioEntry, withParentDirs, writeCpio } from './cpio.ts';
import {
  agentLauncher,
  ETC_FILES,
  GUEST_WORKSPACE,
  initScript,
  inittab,
  profileScript,
} from './guest-files.ts';
import { mustRun, parseKernelDepends, parseLdd, type RunCommand, runCommand } from './host-tools.ts';
import { extractVmlinux, moduleDepends, moduleLoadOrder, moduleName } from './kernel.ts';
import {
  type ImageManifest,
  imageId,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type VmImage,
  verifyImage,
} from './manifest.ts';

/** Modules the guest loads, in addition to what they depend on. */
export const GUEST_MODULES = ['virtio_mmio', 'virtio_console', 'virtio_net', '9pnet_virtio', '9p'];
export const KERNEL_META_PACKAGE = 'linux-image-amd64';

export interface BuildMinimalImageOptions {
  /** Folder that holds images by id, e.g. $WARDEN_HOME/images. */
  imagesDir: string;
  /** The bundled guest agent (one JS file). Default: bundle supervisor/vm/guest/main.ts with esbuild. */
  agentBundle?: string;
  /** Node binary for the guest (default: this process's). */
  nodeBinary?: string;
  /** A kernel .deb already at hand (default: `apt-get download` the generic kernel). */
  kernelDeb?: string;
  /** Include curl and its libraries (default true). */
  withCurl?: boolean;
  log?: (message: string) => void;
  run?: RunCommand;
}

export interface BuiltImage {
  image: VmImage;
  sizeBytes: number;
  buildMs: number;
  /** True when an identical image was already there. */
  reused: boolean;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function findFiles(dir: string, suffix: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) findFiles(full, suffix, out);
    else if (name.endsWith(suffix)) out.push(full);
  }
  return out;
}

async function bundleAgent(outFile: string): Promise<void> {
  const { build } = await import('esbuild');
  const here = path.dirname(new URL(import.meta.url).pathname);
  // From the sources (supervisor/vm/image/) or from the bundled CLI (dist/).
  const candidates = [
    path.join(here, '..', 'guest', 'main.ts'),
    path.join(here, '..', 'supervisor', 'vm', 'guest', 'main.ts'),
  ];
  const entry = candidates.find((c) => existsSync(c));
  if (!entry) throw new Error(`the guest agent's sources are not found (looked at ${candidates.join(', ')})`);
  await build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    minify: true,
    logLevel: 'warning',
  });
}

function downloadKernel(run: RunCommand, dir: string, log: (m: string) => void): string {
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

/** Copies a host binary and its library closure into the image's entries. */
function addBinary(
  run: RunCommand,
  entries: Map<string, CpioEntry>,
  hostPath: string,
  guestPath: string,
  data?: Buffer,
): void {
  entries.set(guestPath, {
    kind: 'file',
    path: guestPath,
    data: data ?? readFileSync(hostPath),
    mode: 0o755,
  });
  for (const lib of parseLdd(mustRun(run, 'ldd', [hostPath]))) {
    if (!entries.has(lib))
      entries.set(lib, { kind: 'file', path: lib, data: readFileSync(lib), mode: 0o755 });
  }
}

function which(run: RunCommand, name: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  const r = run('sh', ['-c', `command -v ${name}`]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export async function buildMinimalImage(opts: BuildMinimalImageOptions): Promise<BuiltImage> {
  const started = Date.now();
  const run = opts.run ?? runCommand;
  const log = opts.log ?? (() => {});
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-image-'));
  try {
    // Kernel and modules.
    const deb = opts.kernelDeb ?? downloadKernel(run, tmp, log);
    const kdir = path.join(tmp, 'kernel');
    mustRun(run, 'dpkg-deb', ['-x', deb, kdir]);
    const vmlinuz = readdirSync(path.join(kdir, 'boot')).find((f) => f.startsWith('vmlinuz-'));
    if (!vmlinuz) throw new Error(`${deb} has no /boot/vmlinuz-*`);
    const kernelVersion = vmlinuz.slice('vmlinuz-'.length);
    log(`extracting the uncompressed kernel ${kernelVersion}`);
    const vmlinux = extractVmlinux(readFileSync(path.join(kdir, 'boot', vmlinuz)));
    const koFiles = new Map<string, string>();
    for (const f of findFiles(path.join(kdir, 'lib', 'modules', kernelVersion), '.ko'))
      koFiles.set(moduleName(f), f);
    const koOf = (name: string): string => {
      const f = koFiles.get(name);
      if (!f) throw new Error(`kernel module ${name} not found in ${deb}`);
      return f;
    };
    const modules = moduleLoadOrder(GUEST_MODULES, (n) => moduleDepends(readFileSync(koOf(n))));
    log(`modules: ${modules.join(' ')}`);

    const entries = new Map<string, CpioEntry>();
    for (const m of modules) {
      entries.set(`lib/modules/${m}.ko`, {
        kind: 'file',
        path: `lib/modules/${m}.ko`,
        data: readFileSync(koOf(m)),
      });
    }

    // busybox and its applets.
    const busybox = which(run, 'busybox');
    if (!busybox) throw new Error('busybox is not installed (apt-get install busybox-static)');
    if (run('ldd', [busybox]).stdout.includes('=>'))
      throw new Error(`${busybox} is not static (install busybox-static)`);
    entries.set('bin/busybox', {
      kind: 'file',
      path: 'bin/busybox',
      data: readFileSync(busybox),
      mode: 0o755,
    });
    for (const applet of mustRun(run, busybox, ['--list-full']).split('\n')) {
      const p = applet.trim();
      if (p === '' || p === 'bin/busybox') continue;
      const depth = p.split('/').length - 1;
      entries.set(p, { kind: 'symlink', path: p, target: '../'.repeat(depth) + 'bin/busybox' });
    }

    // Node for the agent (stripped of debug info when strip is there), curl, script.
    const nodeBinary = opts.nodeBinary ?? process.execPath;
    let nodeData: Buffer | undefined;
    const stripped = path.join(tmp, 'node');
    if (run('strip', ['--strip-debug', '-o', stripped, nodeBinary]).status === 0)
      nodeData = readFileSync(stripped);
    addBinary(run, entries, nodeBinary, 'usr/bin/node', nodeData);
    const script = which(run, 'script');
    if (!script) throw new Error('util-linux script is not installed (apt-get install bsdutils)');
    addBinary(run, entries, script, 'usr/bin/script');
    if (opts.withCurl ?? true) {
      const curl = which(run, 'curl');
      if (!curl)
        throw new Error('curl is not installed (apt-get install curl), or build with withCurl: false');
      addBinary(run, entries, curl, 'usr/bin/curl');
    }

    // The agent and the small files.
    const agentFile = opts.agentBundle ?? path.join(tmp, 'agent.js');
    if (!opts.agentBundle) await bundleAgent(agentFile);
    const text = (p: string, s: string, mode = 0o644): void => {
      entries.set(p, { kind: 'file', path: p, data: Buffer.from(s), mode });
    };
    entries.set('opt/warden/agent.js', {
      kind: 'file',
      path: 'opt/warden/agent.js',
      data: readFileSync(agentFile),
    });
    text('init', initScript(modules), 0o755);
    text('etc/inittab', inittab());
    text('etc/profile.d/warden.sh', profileScript());
    text('opt/warden/agent.sh', agentLauncher(), 0o755);
    for (const [p, s] of Object.entries(ETC_FILES)) text(p, s);
    for (const d of ['proc', 'sys', 'dev', 'tmp', 'root', 'run', 'etc/ssl/certs', GUEST_WORKSPACE.slice(1)]) {
      entries.set(d, { kind: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : d === 'root' ? 0o700 : 0o755 });
    }
    entries.set('dev/console', { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 });
    entries.set('dev/null', { kind: 'chardev', path: 'dev/null', major: 1, minor: 3, mode: 0o666 });

    log('packing the initramfs');
    const initrd = writeCpio(withParentDirs([...entries.values()]));
    const kernelSha = sha256(vmlinux);
    const initrdSha = sha256(initrd);
    const id = imageId(kernelSha, initrdSha);
    const manifest: ImageManifest = {
      format: MANIFEST_FORMAT,
      id,
      name: 'minimal',
      kernel: { file: 'vmlinux', sha256: kernelSha, size: vmlinux.length, version: kernelVersion },
      initrd: { file: 'initrd.cpio', sha256: initrdSha, size: initrd.length },
      agent: AGENT_NAME,
      protocol: PROTOCOL_VERSION,
      builtAt: new Date().toISOString(),
    };
    mkdirSync(opts.imagesDir, { recursive: true });
    const finalDir = path.join(opts.imagesDir, id);
    let reused = false;
    if (existsSync(path.join(finalDir, MANIFEST_FILE))) {
      reused = true;
    } else {
      const staging = mkdtempSync(path.join(opts.imagesDir, '.staging-'));
      writeFileSync(path.join(staging, 'vmlinux'), vmlinux);
      writeFileSync(path.join(staging, 'initrd.cpio'), initrd);
      writeFileSync(path.join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
      rmSync(finalDir, { recursive: true, force: true });
      renameSync(staging, finalDir);
    }
    const image = await verifyImage(finalDir);
    return { image, sizeBytes: vmlinux.length + initrd.length, buildMs: Date.now() - started, reused };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
