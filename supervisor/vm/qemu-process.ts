// One QEMU process, a sandbox's or a template boot's: spawned with its output in its runtime
// folder's log, its owner recorded (a later daemon reaps it after a crash), waited for with
// a bound, ended in stages, and its end put into words.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { type VmRuntimePaths, writeOwner } from './runtime-dir.ts';

/** Starts QEMU, its stdout and stderr appended to `paths.qemuLog`. */
export function spawnQemu(binary: string, args: string[], paths: VmRuntimePaths): ChildProcess {
  const logFd = openSync(paths.qemuLog, 'a', 0o600);
  const child = spawn(binary, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  return child;
}

/**
 * Records who started QEMU (`paths.ownerFile`, read by reapOrphans after a crash of the
 * daemon). Called once the caller tracks the process: if it throws, the caller kills it.
 */
export function recordOwner(paths: VmRuntimePaths, child: ChildProcess): void {
  if (child.pid !== undefined)
    writeOwner(paths, { daemonPid: process.pid, qemuPid: child.pid, startedAt: new Date().toISOString() });
}

/** Whether the process has neither exited nor been ended by a signal. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** True once `p` settles within `ms`, false if the time passes first (the timer holds no event loop). */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    p.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
  ]);
}

/** Waits `graceMs` for the process to end (the caller asked it to), then SIGTERM, `termMs`, SIGKILL. */
export async function endInStages(
  child: ChildProcess,
  exited: Promise<void>,
  graceMs: number,
  termMs: number,
): Promise<void> {
  if (await settlesWithin(exited, graceMs)) return;
  child.kill('SIGTERM');
  if (await settlesWithin(exited, termMs)) return;
  child.kill('SIGKILL');
  await exited;
}

/** "exit code N" or "signal SIGX". */
export function describeExit(code: number | null, signal: NodeJS.Signals | string | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}
