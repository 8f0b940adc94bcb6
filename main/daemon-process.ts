// The real process side of daemon supervision: start `warden daemon` (the launch the CLI
// uses too, supervisor/client/launch-daemon.ts) and signal pids. Kept apart from the
// supervisor so its tests run on fakes.

import { type DaemonCommand, launchDaemon } from '../supervisor/client/launch-daemon.ts';
import { ensureHome, type WardenPaths } from '../supervisor/home/index.ts';
import type { DaemonProcess } from './daemon-supervisor.ts';

export function spawnWardenDaemon(paths: WardenPaths, command: DaemonCommand): DaemonProcess {
  ensureHome(paths.home);
  return launchDaemon(paths, command);
}

/** process.kill that answers false instead of throwing for a pid that is gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    return process.kill(pid, signal);
  } catch {
    return false;
  }
}
