// What a guest restored from a snapshot must get before its first command, over the control
// channel (setup): fresh randomness (every copy of a snapshot starts with the same CRNG
// state), the host's clock (the snapshot's is stale), and its own 9p shares (a snapshot
// mounts none: QEMU refuses to migrate a guest with a mounted 9p share). A booted guest gets
// its mounts from stage 2 and its clock and randomness from its own boot.

import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import type { GuestMounts } from '../../api/frames.ts';
import {
  AGENT_HOME_DIRS,
  AGENT_HOME_TAG,
  AGENTS_TAG,
  GUEST_AGENT_HOME,
  GUEST_AGENTS,
  GUEST_WORKSPACE,
  WORKSPACE_TAG,
} from '../image/guest-files.ts';
import { GUEST_RESEED, GUEST_SET_CLOCK, timespec } from '../image/helper-elfs.ts';

/** Fewer host bytes than this cannot reseed anything worth the name. */
export const MIN_ENTROPY_BYTES = 32;
const NINEP = 'trans=virtio,version=9p2000.L,msize=262144';

/** The guest's system calls the state needs, so a test can watch them without a VM. */
export interface GuestSystem {
  /** Runs a program to its end (with `input` on its stdin): its exit status and what it wrote on stderr. */
  run(file: string, args: string[], input?: Buffer): { status: number | null; stderr: string };
  writeFile(file: string, data: Buffer): void;
  mkdir(dir: string): void;
  /** Replaces `link` (whatever it is) with a symbolic link to `target`. */
  symlink(target: string, link: string): void;
}

export interface SandboxState {
  entropy?: string;
  clockMs?: number;
  mounts?: GuestMounts;
}

/** Applies the state in order (randomness first, before anything else runs); throws on the first failure. */
export function applySandboxState(state: SandboxState, sys: GuestSystem, busybox: string): void {
  if (state.entropy !== undefined) reseed(Buffer.from(state.entropy, 'base64'), sys);
  if (state.clockMs !== undefined) setClock(state.clockMs, sys);
  if (state.mounts) mountShares(state.mounts, sys, busybox);
}

function reseed(bytes: Buffer, sys: GuestSystem): void {
  if (bytes.length < MIN_ENTROPY_BYTES)
    throw new Error(`setup: ${bytes.length} random bytes, at least ${MIN_ENTROPY_BYTES} needed`);
  sys.writeFile('/dev/urandom', bytes);
  const r = sys.run(GUEST_RESEED, []);
  if (r.status !== 0) throw new Error(`setup: the CRNG reseed failed (errno ${r.status})`);
}

function setClock(clockMs: number, sys: GuestSystem): void {
  if (!Number.isFinite(clockMs) || clockMs <= 0) throw new Error(`setup: bad clock ${clockMs}`);
  const r = sys.run(GUEST_SET_CLOCK, [], timespec(clockMs));
  if (r.status !== 0) throw new Error(`setup: cannot set the clock (errno ${r.status})`);
}

function mount(sys: GuestSystem, busybox: string, tag: string, dir: string, options: string): void {
  sys.mkdir(dir);
  const r = sys.run(busybox, ['mount', '-t', '9p', '-o', options, tag, dir]);
  if (r.status !== 0) throw new Error(`setup: cannot mount ${tag} at ${dir}: ${r.stderr.trim()}`);
}

/** The same mounts as stage 2 (guest-files.ts), but a failure fails the setup. */
function mountShares(m: GuestMounts, sys: GuestSystem, busybox: string): void {
  if (m.home) {
    mount(sys, busybox, AGENT_HOME_TAG, GUEST_AGENT_HOME, NINEP);
    for (const d of AGENT_HOME_DIRS) {
      sys.mkdir(`${GUEST_AGENT_HOME}/${d}`);
      sys.symlink(`${GUEST_AGENT_HOME}/${d}`, `/root/${d}`);
    }
  }
  if (m.agents) mount(sys, busybox, AGENTS_TAG, GUEST_AGENTS, `${NINEP},ro`);
  if (m.workspace === 'rw' || m.workspace === 'ro')
    mount(sys, busybox, WORKSPACE_TAG, GUEST_WORKSPACE, m.workspace === 'ro' ? `${NINEP},ro` : NINEP);
  else if (m.workspace !== undefined) throw new Error(`setup: bad workspace mode ${String(m.workspace)}`);
}

/** The real guest's system (the agent's default). */
export const nodeGuestSystem: GuestSystem = {
  run(file, args, input) {
    const r = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000, ...(input ? { input } : {}) });
    return { status: r.error ? -1 : r.status, stderr: r.error ? r.error.message : (r.stderr ?? '') };
  },
  writeFile: (file, data) => writeFileSync(file, data),
  mkdir: (dir) => mkdirSync(dir, { recursive: true }),
  symlink(target, link) {
    rmSync(link, { recursive: true, force: true });
    symlinkSync(target, link);
  },
};
