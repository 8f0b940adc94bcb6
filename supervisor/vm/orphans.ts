// Finds QEMU processes a previous daemon left behind (it was killed with -9, say), kills
// them and removes their runtime folders. A pid is only killed when /proc/<pid>/cmdline
// shows it is a QEMU started for that very folder, so a reused pid is never hit.

import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { readOwner, VM_DIR_PREFIX } from './runtime-dir.ts';

export interface ReapedVm {
  dir: string;
  pid?: number;
  /** True when a live QEMU was killed; false when only files were left. */
  killed: boolean;
}

export interface ReapOptions {
  /** Pids whose VMs are not orphans (default: this process). Live owners are also skipped. */
  ownPid?: number;
  /** How long to wait for a killed QEMU to go away (default 5 s). */
  waitMs?: number;
}

function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` runs QEMU with files inside `dir`. */
export function isQemuOf(pid: number, dir: string): boolean {
  const argv = cmdline(pid);
  if (!argv || argv.length === 0) return false;
  if (!path.basename(argv[0] ?? '').startsWith('qemu-system')) return false;
  return argv.some((a) => a.includes(dir + path.sep));
}

function readPid(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !alive(pid);
}

export async function reapOrphans(runDir: string, opts: ReapOptions = {}): Promise<ReapedVm[]> {
  const ownPid = opts.ownPid ?? process.pid;
  if (!existsSync(runDir)) return [];
  const reaped: ReapedVm[] = [];
  for (const name of readdirSync(runDir)) {
    if (!name.startsWith(VM_DIR_PREFIX)) continue;
    const dir = path.join(runDir, name);
    const owner = readOwner({ ownerFile: path.join(dir, 'owner.json') });
    if (owner && (owner.daemonPid === ownPid || (alive(owner.daemonPid) && isNodeProcess(owner.daemonPid)))) {
      continue; // still owned by a live daemon
    }
    const pids = new Set<number>();
    const fromPidFile = readPid(path.join(dir, 'qemu.pid'));
    if (fromPidFile) pids.add(fromPidFile);
    if (owner) pids.add(owner.qemuPid);
    let killed = false;
    let pid: number | undefined;
    for (const p of pids) {
      if (!isQemuOf(p, dir)) continue;
      pid = p;
      try {
        process.kill(p, 'SIGKILL');
        killed = true;
      } catch {}
      await waitGone(p, opts.waitMs ?? 5000);
    }
    rmSync(dir, { recursive: true, force: true });
    reaped.push(pid === undefined ? { dir, killed } : { dir, pid, killed });
  }
  return reaped;
}

function isNodeProcess(pid: number): boolean {
  const argv = cmdline(pid);
  return Boolean(argv && /node|warden|electron/i.test(path.basename(argv[0] ?? '')));
}
