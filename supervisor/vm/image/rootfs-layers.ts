// What goes into a guest's root filesystem: the Warden layer every image gets (agent,
// stage 2 of init, inittab, environment, Warden's own busybox), and the minimal image's
// userland taken from the host (curl, util-linux script and their libraries; its Node is
// the pinned one of guest-node.ts, with the host's copies of the libraries it needs).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CpioEntry } from './cpio.ts';
import {
  agentLauncher,
  ETC_FILES,
  GUEST_BUSYBOX,
  GUEST_STAGE2,
  GUEST_WORKSPACE,
  inittab,
  profileScript,
  stage2Init,
} from './guest-files.ts';
import { GUEST_RESEED, GUEST_SET_CLOCK, reseedHelperElf, setClockHelperElf } from './helper-elfs.ts';
import { mustRun, parseLdd, type RunCommand } from './host-tools.ts';
import { busyboxEntries } from './initramfs.ts';

const rel = (p: string): string => p.replace(/^\/+/, '');
const text = (p: string, s: string, mode = 0o644): CpioEntry => ({
  kind: 'file',
  path: rel(p),
  data: Buffer.from(s),
  mode,
});

/** The files every image's root filesystem gets, whatever userland it has. */
export function wardenLayer(opts: { agentJs: Buffer; busyboxPath: string }): CpioEntry[] {
  return [
    { kind: 'file', path: rel(GUEST_BUSYBOX), data: readFileSync(opts.busyboxPath), mode: 0o755 },
    { kind: 'file', path: 'opt/warden/agent.js', data: opts.agentJs },
    text('opt/warden/agent.sh', agentLauncher(), 0o755),
    { kind: 'file', path: rel(GUEST_RESEED), data: reseedHelperElf(), mode: 0o755 },
    { kind: 'file', path: rel(GUEST_SET_CLOCK), data: setClockHelperElf(), mode: 0o755 },
    text(GUEST_STAGE2, stage2Init(), 0o755),
    text('etc/inittab', inittab()),
    text('etc/profile.d/warden.sh', profileScript()),
    { kind: 'dir', path: rel(GUEST_WORKSPACE) },
    { kind: 'dir', path: 'etc/ssl/certs' },
  ];
}

/** A host binary and its shared-library closure, at `guestPath` in the image. */
export function binaryEntries(
  run: RunCommand,
  hostPath: string,
  guestPath: string,
  data?: Buffer,
): CpioEntry[] {
  return [
    { kind: 'file', path: rel(guestPath), data: data ?? readFileSync(hostPath), mode: 0o755 },
    ...libraryEntries(run, hostPath),
  ];
}

/** The host's copies of the shared libraries a binary needs (ldd), at the same paths. */
export function libraryEntries(run: RunCommand, hostPath: string): CpioEntry[] {
  return parseLdd(mustRun(run, 'ldd', [hostPath])).map(
    (lib): CpioEntry => ({ kind: 'file', path: rel(lib), data: readFileSync(lib), mode: 0o755 }),
  );
}

export function hostWhich(run: RunCommand, name: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  const r = run('sh', ['-c', `command -v ${name}`]);
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * glibc's small libraries that native agent binaries load besides libc (Claude Code's needs
 * librt), from the folder of the host's libc, when present there.
 */
export const GLIBC_EXTRAS = ['librt.so.1', 'libresolv.so.2', 'libutil.so.1', 'libanl.so.1'];

function glibcExtras(run: RunCommand, anyBinary: string): CpioEntry[] {
  const libc = parseLdd(mustRun(run, 'ldd', [anyBinary])).find((l) => path.basename(l) === 'libc.so.6');
  if (!libc) return [];
  return GLIBC_EXTRAS.map((name) => path.join(path.dirname(libc), name))
    .filter((p) => existsSync(p))
    .map((p): CpioEntry => ({ kind: 'file', path: rel(p), data: readFileSync(p), mode: 0o755 }));
}

export interface MinimalUserland {
  busybox: { path: string; applets: string[] };
  withCurl: boolean;
}

/** The minimal image's userland: busybox applets, util-linux script, curl (Node comes after). */
export function minimalUserland(run: RunCommand, u: MinimalUserland): CpioEntry[] {
  const out: CpioEntry[] = busyboxEntries(u.busybox, rel(GUEST_BUSYBOX));
  const script = hostWhich(run, 'script');
  if (!script) throw new Error('util-linux script is not installed (apt-get install bsdutils)');
  out.push(...binaryEntries(run, script, 'usr/bin/script'));
  if (u.withCurl) {
    const curl = hostWhich(run, 'curl');
    if (!curl) throw new Error('curl is not installed (apt-get install curl), or build with withCurl: false');
    out.push(...binaryEntries(run, curl, 'usr/bin/curl'));
  }
  out.push(...glibcExtras(run, script));
  for (const [p, s] of Object.entries(ETC_FILES)) out.push(text(p, s));
  for (const d of ['proc', 'sys', 'dev', 'run']) out.push({ kind: 'dir', path: d });
  out.push({ kind: 'dir', path: 'tmp', mode: 0o1777 }, { kind: 'dir', path: 'root', mode: 0o700 });
  return out;
}
