// A sandbox's guest restored from its template (vm-template.ts) instead of booted: a copy of
// the template's disk, QEMU started with the template's devices, its RAM a private
// copy-on-write mapping of the template's RAM file and `-incoming defer`; over QMP the saved
// device state is loaded and the guest continued. Its agent, blocked reading the control
// port when the template was saved, answers the new connection without a hello; the setup
// then gives it what is the sandbox's own (fresh randomness first, the clock, the shares,
// the CA and environment). Any failure throws: the caller kills QEMU and boots instead.

import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { GuestMounts } from '../api/frames.ts';
import { abortable } from './abortable.ts';
import { ControlClient, connectWithRetry } from './control-client.ts';
import type { WorkspaceShare } from './qemu-args.ts';
import { describeExit } from './qemu-process.ts';
import { Qmp, SNAPSHOT_CAPABILITIES, shellPath } from './qmp.ts';
import type { VmRuntimePaths } from './runtime-dir.ts';
import { snapshotQemuArgs, type TemplateShape } from './template-args.ts';
import type { Template } from './vm-template.ts';

/** How long a restore may take before it counts as failed (then the VM boots). */
export const RESTORE_DEADLINE_MS = 30_000;

export interface RestoreRequest {
  template: Template;
  shape: TemplateShape;
  paths: VmRuntimePaths;
  proxyPort: number;
  proxyConnectCommand: string[];
  workspace?: WorkspaceShare;
  agentsPath?: string;
  agentHomePath?: string;
  caPem?: string;
  env: Record<string, string>;
  /** Starts QEMU with these arguments (the caller tracks the process). */
  spawn(args: string[]): ChildProcess;
  signal: AbortSignal;
}

/** Copies a disk file: a reflink where the filesystem has them, else a sparse copy. */
export async function copyDisk(from: string, to: string): Promise<void> {
  await promisify(execFile)('cp', ['--reflink=auto', '--sparse=always', from, to], { timeout: 60_000 });
}

/** What the agent mounts for this sandbox. */
export function guestMounts(
  r: Pick<RestoreRequest, 'workspace' | 'agentsPath' | 'agentHomePath'>,
): GuestMounts {
  const m: GuestMounts = {};
  if (r.workspace) m.workspace = r.workspace.readOnly ? 'ro' : 'rw';
  if (r.agentsPath) m.agents = true;
  if (r.agentHomePath) m.home = true;
  return m;
}

/** Restores the guest; resolves with its control channel once its setup is done. */
export async function restoreGuest(r: RestoreRequest): Promise<ControlClient> {
  const diskPath = path.join(r.paths.dir, 'disk.img');
  const emptyDir = path.join(r.paths.dir, 'empty');
  const qmpSocket = path.join(r.paths.dir, 'qmp.sock');
  mkdirSync(emptyDir, { mode: 0o700 });
  // The guest's boot log is its template's: `warden logs` shows it, then what the copy prints.
  if (existsSync(r.template.consoleLog)) copyFileSync(r.template.consoleLog, r.paths.consoleLog);
  appendFileSync(r.paths.consoleLog, `warden: restored from its template at ${new Date().toISOString()}\n`, {
    mode: 0o600,
  });
  await copyDisk(r.template.diskFile, diskPath);
  r.signal.throwIfAborted();
  const child = r.spawn(
    snapshotQemuArgs({
      shape: r.shape,
      proxyPort: r.proxyPort,
      proxyConnectCommand: r.proxyConnectCommand,
      controlSocket: r.paths.controlSocket,
      consoleLog: r.paths.consoleLog,
      pidFile: r.paths.pidFile,
      qmpSocket,
      diskPath,
      ramFile: { path: r.template.ramFile, shared: false },
      incoming: true,
      emptyDir,
      ...(r.workspace ? { workspace: r.workspace } : {}),
      ...(r.agentsPath ? { agentsPath: r.agentsPath } : {}),
      ...(r.agentHomePath ? { agentHomePath: r.agentHomePath } : {}),
    }),
  );
  const died = new AbortController();
  const onExit = (code: number | null, signal: string | null) =>
    died.abort(new Error(`QEMU exited during the restore (${describeExit(code, signal)})`));
  child.once('exit', onExit);
  const signal = AbortSignal.any([r.signal, died.signal]);
  let qmp: Qmp | undefined;
  try {
    qmp = await Qmp.connect(qmpSocket, signal);
    await qmp.command('migrate-set-capabilities', SNAPSHOT_CAPABILITIES, signal);
    await qmp.command('migrate-incoming', { uri: `exec:cat ${shellPath(r.template.stateFile)}` }, signal);
    await qmp.migrationDone(signal);
    await qmp.command('cont', undefined, signal); // the template was stopped when saved
    const client = new ControlClient(await connectWithRetry(r.paths.controlSocket, signal));
    try {
      await abortable(
        client.setup({
          entropy: randomBytes(64).toString('base64'),
          clockMs: Date.now(),
          mounts: guestMounts(r),
          env: r.env,
          ...(r.caPem ? { caPem: r.caPem } : {}),
        }),
        signal,
      );
    } catch (err) {
      client.close('restore failed');
      throw err;
    }
    return client;
  } finally {
    qmp?.close();
    child.off('exit', onExit);
  }
}
