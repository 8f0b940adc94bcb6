// Start `warden daemon` in the background, for every client that starts one (the CLI's
// `connectOrStart`, Electron main's daemon supervisor): detached in its own process group,
// so closing a window or a terminal's Ctrl-C never reaches it (nor its agents), with its
// output appended to the daemon log.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** How to run the daemon. */
export interface DaemonCommand {
  /** The Node to run it with: `node`, or Electron's own binary with ELECTRON_RUN_AS_NODE=1. */
  execPath: string;
  /** bin/warden.mjs (unpacked from the asar in a packaged app). */
  binPath: string;
  /** Added to this process's environment (WARDEN_HOME is always the home below). */
  env?: NodeJS.ProcessEnv;
}

/** Where the daemon keeps its state and its log (a WardenPaths satisfies it). */
export interface DaemonHome {
  /** The home folder; the caller has made it (ensureHome) before the launch. */
  home: string;
  daemonLog: string;
}

/**
 * Spawns the daemon detached and returns at once; the caller waits for it to answer. The
 * child gets its own copy of the log's descriptor: ours is closed before this returns.
 */
export function launchDaemon(where: DaemonHome, command: DaemonCommand): ChildProcess {
  const log = openSync(where.daemonLog, 'a', 0o600);
  try {
    return spawn(command.execPath, [command.binPath, 'daemon'], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...command.env, WARDEN_HOME: where.home },
      windowsHide: true,
    });
  } finally {
    closeSync(log);
  }
}
