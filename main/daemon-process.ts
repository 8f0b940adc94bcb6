// The real process side of daemon supervision: spawn `warden daemon` detached with its
// output appended to the daemon log, and signal pids. Kept apart from the supervisor so
// its tests run on fakes.

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { ensureHome, type WardenPaths } from '../supervisor/home/index.ts';
import type { DaemonProcess } from './daemon-supervisor.ts';

export interface DaemonCommand {
  /** The Node to run it with: `node`, or Electron's own binary with ELECTRON_RUN_AS_NODE=1. */
  execPath: string;
  /** bin/warden.mjs (unpacked from the asar in a packaged app). */
  binPath: string;
  env?: NodeJS.ProcessEnv;
}

export function spawnWardenDaemon(paths: WardenPaths, command: DaemonCommand): DaemonProcess {
  ensureHome(paths.home);
  const log = openSync(paths.daemonLog, 'a', 0o600);
  try {
    // Detached in its own process group: closing the window (or Ctrl-C in a terminal) does not reach it.
    return spawn(command.execPath, [command.binPath, 'daemon'], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...command.env, WARDEN_HOME: paths.home },
      windowsHide: true,
    });
  } finally {
    closeSync(log);
  }
}

/** process.kill that answers false instead of throwing for a pid that is gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    return process.kill(pid, signal);
  } catch {
    return false;
  }
}
