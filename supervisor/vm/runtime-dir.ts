// Every VM's runtime files live in one folder under the daemon's run folder, so stopping
// removes them all and a later daemon can find what an earlier one left.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const VM_DIR_PREFIX = 'vm-';
/** sockaddr_un's sun_path is 108 bytes on Linux, including the final NUL. */
const MAX_SOCKET_PATH = 107;

export interface VmRuntimePaths {
  dir: string;
  controlSocket: string;
  consoleLog: string;
  qemuLog: string;
  pidFile: string;
  ownerFile: string;
}

/** Who started a VM: read by reapOrphans after a crash of the daemon. */
export interface VmOwner {
  daemonPid: number;
  qemuPid: number;
  startedAt: string;
}

export function vmRuntimePaths(runDir: string, vmId: string): VmRuntimePaths {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(vmId)) throw new Error(`bad VM id ${JSON.stringify(vmId)}`);
  const dir = path.join(runDir, VM_DIR_PREFIX + vmId);
  const paths = {
    dir,
    controlSocket: path.join(dir, 'ctl.sock'),
    consoleLog: path.join(dir, 'console.log'),
    qemuLog: path.join(dir, 'qemu.log'),
    pidFile: path.join(dir, 'qemu.pid'),
    ownerFile: path.join(dir, 'owner.json'),
  };
  if (Buffer.byteLength(paths.controlSocket) > MAX_SOCKET_PATH) {
    throw new Error(`the VM's control socket path is too long for a unix socket: ${paths.controlSocket}`);
  }
  return paths;
}

export function createRuntimeDir(paths: VmRuntimePaths): void {
  mkdirSync(path.dirname(paths.dir), { recursive: true, mode: 0o700 });
  mkdirSync(paths.dir, { recursive: false, mode: 0o700 });
}

export function writeOwner(paths: VmRuntimePaths, owner: VmOwner): void {
  writeFileSync(paths.ownerFile, JSON.stringify(owner) + '\n', { mode: 0o600 });
}

export function readOwner(paths: Pick<VmRuntimePaths, 'ownerFile'>): VmOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(paths.ownerFile, 'utf8')) as Partial<VmOwner>;
    if (typeof o.daemonPid === 'number' && typeof o.qemuPid === 'number') return o as VmOwner;
  } catch {}
  return undefined;
}

/** The last `lines` lines of a log file ('' when it does not exist). */
export function tailFile(file: string, lines: number): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-lines)
      .join('\n');
  } catch {
    return '';
  }
}
