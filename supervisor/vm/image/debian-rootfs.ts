// A Debian guest userland (git, curl, python3, CA certificates; Node and npm are the pinned
// builds of guest-node.ts, Debian's are too old for current agents) built from the
// host's Debian mirror: `debootstrap --variant=minbase` lays down the base system, then
// apt inside the tree installs the packages (debootstrap's own resolver ignores virtual
// packages, and debootstrap gives up configuring). Downloaded .debs are kept in
// CACHEDIR/debs for both steps, so a second build downloads only the package index.
// Needs root (debootstrap and chroot); the tree is shrunk afterwards (rootfs-shrink.ts).

import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hostMirror, hostSuite } from './apt-sources.ts';
import { treeSize } from './ext4-image.ts';
import { type RunCommand, runCommand } from './host-tools.ts';
import { shrinkRootfs } from './rootfs-shrink.ts';

/** libstdc++6 for the pinned Node (minbase has it through apt; named so it stays). */
export const DEFAULT_PACKAGES = ['git', 'curl', 'python3', 'ca-certificates', 'bsdutils', 'libstdc++6'];
/** What debootstrap itself installs on top of minbase: CA certificates, for https mirrors in the apt step. */
export const BOOTSTRAP_PACKAGES = ['ca-certificates'];

export interface DebianRootfsOptions {
  dir: string;
  suite?: string;
  mirror?: string;
  packages?: string[];
  /** Keeps downloaded .debs between builds (in CACHEDIR/debs). */
  cacheDir?: string;
  log?: (m: string) => void;
  run?: RunCommand;
}

export interface DebianRootfs {
  dir: string;
  suite: string;
  mirror: string;
  packages: string[];
  /** Installed versions of the requested packages (from dpkg's status). */
  versions: Record<string, string>;
  /** Apparent size of the tree after shrinking, and before (without downloaded .debs). */
  sizeBytes: number;
  unshrunkBytes: number;
  debootstrapMs: number;
  aptMs: number;
  buildMs: number;
}

export function debootstrapArgs(o: {
  suite: string;
  dir: string;
  mirror: string;
  include: string[];
  cacheDir?: string;
}): string[] {
  const args = ['--variant=minbase', '--components=main'];
  if (o.include.length > 0) args.push(`--include=${o.include.join(',')}`);
  if (o.cacheDir) args.push(`--cache-dir=${path.resolve(o.cacheDir)}`);
  return [...args, o.suite, path.resolve(o.dir), o.mirror];
}

export function aptInstallArgs(dir: string, packages: string[]): string[] {
  return [
    path.resolve(dir),
    '/usr/bin/env',
    'DEBIAN_FRONTEND=noninteractive',
    'LC_ALL=C.UTF-8',
    'apt-get',
    '-y',
    '-q',
    '--no-install-recommends',
    'install',
    ...packages,
  ];
}

/** The version of each installed package in a dpkg status file. */
export function packageVersions(status: string, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const stanza of status.split(/\n\n+/)) {
    const name = /^Package: (\S+)$/m.exec(stanza)?.[1];
    const version = /^Version: (\S+)$/m.exec(stanza)?.[1];
    const installed = /^Status: .* installed$/m.test(stanza);
    if (name && version && installed && names.includes(name)) out[name] = version;
  }
  return out;
}

/** A message naming the problem and the fix, from debootstrap's or apt's output. */
export function explainFailure(
  step: string,
  output: string,
  ctx: { mirror: string; suite: string; dir: string },
) {
  const tail = output.trim().split('\n').slice(-12).join('\n');
  if (
    /Failed getting release file|Failed getting release signature|Couldn't download|Temporary failure resolving|Could not resolve|Unable to connect|Connection refused|Connection timed out/i.test(
      output,
    )
  )
    return `${step}: the Debian mirror ${ctx.mirror} cannot be reached or does not carry ${ctx.suite}; check the network (and http_proxy) or pass another mirror (--mirror URL)\n${tail}`;
  if (/Release signed by unknown key|NO_PUBKEY|invalid signature|not signed/i.test(output))
    return `${step}: the ${ctx.suite} Release file's signature cannot be checked; apt-get install debian-archive-keyring (or the keyring of your distribution)\n${tail}`;
  if (/No space left on device/i.test(output))
    return `${step}: the disk under ${ctx.dir} is full; free space or build elsewhere\n${tail}`;
  const log = path.join(ctx.dir, 'debootstrap', 'debootstrap.log');
  return `${step} failed; the partial tree is in ${ctx.dir}${existsSync(log) ? ` (log: ${log})` : ''}\n${tail}`;
}

export function findDebootstrap(run: RunCommand): string | undefined {
  for (const p of ['/usr/sbin/debootstrap', '/sbin/debootstrap', '/usr/bin/debootstrap'])
    if (existsSync(p)) return p;
  const r = run('sh', ['-c', 'command -v debootstrap']);
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
}

/** Problems that stop a build before it starts, each with its fix. */
export function preflight(run: RunCommand, uid: number | undefined, dir: string): string[] {
  const problems: string[] = [];
  if (uid !== 0)
    problems.push(
      'debootstrap needs root (it chroots, creates device nodes and sets file owners): run the build as root, ' +
        'e.g. sudo node --import tsx build/guest/full-image-rootfs.ts --out FILE',
    );
  if (!findDebootstrap(run)) problems.push('debootstrap is not installed: apt-get install debootstrap');
  if (existsSync(dir) && readdirSync(dir).length > 0)
    problems.push(`${dir} is not empty: debootstrap needs a new or empty folder (remove it first)`);
  return problems;
}

/** Fails with a clear message when MIRROR has no SUITE or cannot be reached (wget, as debootstrap uses). */
export function checkMirror(run: RunCommand, mirror: string, suite: string): void {
  const release = `${mirror}/dists/${suite}/Release`;
  if (mirror.startsWith('file:')) {
    if (!existsSync(release.replace(/^file:(\/\/)?/, '')))
      throw new Error(`${release} does not exist: pass a mirror that carries ${suite}`);
    return;
  }
  const r = run('wget', ['-q', '--spider', '--tries=2', '--timeout=20', release]);
  if (r.status === null)
    throw new Error('wget is not installed (debootstrap downloads with it): apt-get install wget');
  if (r.status === 8)
    throw new Error(
      `the Debian mirror ${mirror} has no suite ${suite} (${release} not found): pass a suite it carries, or another mirror`,
    );
  if (r.status !== 0)
    throw new Error(
      `the Debian mirror ${mirror} cannot be reached (wget exit ${r.status} for ${release}): check the network and http_proxy, or pass another mirror`,
    );
}

/** Hard-links every .deb of FROM missing in TO (copies of the same file system cost nothing). */
function linkDebs(from: string, to: string): number {
  if (!existsSync(from) || !existsSync(to)) return 0;
  const have = new Set(readdirSync(to));
  let n = 0;
  for (const name of readdirSync(from)) {
    if (!name.endsWith('.deb') || have.has(name)) continue;
    try {
      linkSync(path.join(from, name), path.join(to, name));
      n++;
    } catch {
      // Another file system: the next build downloads it again.
    }
  }
  return n;
}

export async function buildDebianRootfs(opts: DebianRootfsOptions): Promise<DebianRootfs> {
  const started = Date.now();
  const run = opts.run ?? runCommand;
  const log = opts.log ?? (() => {});
  const dir = path.resolve(opts.dir);
  const problems = preflight(run, process.getuid?.(), dir);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const suite = opts.suite ?? hostSuite();
  let mirror = opts.mirror;
  if (!mirror) {
    const host = hostMirror(suite);
    mirror = host.mirror;
    if (!host.fromHost) log(`apt's sources name no mirror for ${suite}; using ${mirror}`);
  }
  mirror = mirror.replace(/\/+$/, '');
  const packages = opts.packages ?? DEFAULT_PACKAGES;
  checkMirror(run, mirror, suite);
  const debCache = opts.cacheDir ? path.resolve(opts.cacheDir, 'debs') : undefined;
  if (debCache) mkdirSync(debCache, { recursive: true });
  // dpkg fsyncs every file it writes; for a tree rebuilt from scratch after a crash that is
  // only cost (the drop-in is read by the target's dpkg once installed, and removed at the end).
  const unsafeIo = path.join(dir, 'etc/dpkg/dpkg.cfg.d/warden-build-unsafe-io');
  mkdirSync(path.dirname(unsafeIo), { recursive: true });
  writeFileSync(unsafeIo, 'force-unsafe-io\n');

  log(`debootstrap ${suite} from ${mirror}${debCache ? ` (cache ${debCache})` : ''}`);
  const ctx = { mirror, suite, dir };
  const args = debootstrapArgs({ suite, dir, mirror, include: BOOTSTRAP_PACKAGES, cacheDir: debCache });
  const t0 = Date.now();
  const boot = run(findDebootstrap(run)!, args);
  if (boot.status !== 0) throw new Error(explainFailure('debootstrap', boot.stderr + boot.stdout, ctx));
  const debootstrapMs = Date.now() - t0;

  log(`apt-get install ${packages.join(' ')}`);
  const archives = path.join(dir, 'var/cache/apt/archives');
  if (debCache) linkDebs(debCache, archives);
  // No service may start inside the build tree.
  const policy = path.join(dir, 'usr/sbin/policy-rc.d');
  writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  const t1 = Date.now();
  const apt = run('chroot', aptInstallArgs(dir, packages));
  rmSync(policy, { force: true });
  if (apt.status !== 0) throw new Error(explainFailure('apt-get install', apt.stderr + apt.stdout, ctx));
  const aptMs = Date.now() - t1;
  if (debCache) log(`${linkDebs(archives, debCache)} new .debs kept in ${debCache}`);

  rmSync(unsafeIo, { force: true });
  const versions = packageVersions(readFileSync(path.join(dir, 'var/lib/dpkg/status'), 'utf8'), packages);
  const missing = packages.filter((p) => !versions[p]);
  if (missing.length > 0) throw new Error(`apt-get left ${missing.join(', ')} not installed in ${dir}`);
  // Before shrinking, not counting the .debs (the cache's hard links, or apt's downloads).
  const unshrunkBytes = treeSize(dir).bytes - treeSize(archives).bytes;
  shrinkRootfs(dir);
  const sizeBytes = treeSize(dir).bytes;
  log(
    `rootfs ${(unshrunkBytes / 2 ** 20).toFixed(0)} MiB, ${(sizeBytes / 2 ** 20).toFixed(0)} MiB after shrinking`,
  );
  return {
    dir,
    suite,
    mirror,
    packages,
    versions,
    sizeBytes,
    unshrunkBytes,
    debootstrapMs,
    aptMs,
    buildMs: Date.now() - started,
  };
}
