// One QEMU microvm and its lifecycle: spawn, wait for the guest agent's hello within the
// boot deadline, hand over the CA and environment, run commands, stop (ask the agent to
// power off, wait, SIGTERM, SIGKILL), and notice when QEMU dies on its own.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import path from 'node:path';
import { LifecycleState } from '../api/lifecycle.ts';
import type { AccelChoice } from './accel.ts';
import {
  ControlClient,
  connectWithRetry,
  type ExecOptions,
  type ExecProcess,
  type ExitStatus,
  type GuestStats,
  type Hello,
} from './control-client.ts';
import type { VmImage } from './image/manifest.ts';
import { buildQemuArgs, type WorkspaceShare } from './qemu-args.ts';
import {
  createRuntimeDir,
  tailFile,
  type VmRuntimePaths,
  vmRuntimePaths,
  writeOwner,
} from './runtime-dir.ts';
import { makeSandboxDisk } from './sandbox-disk.ts';
import { type StateChange, VmStateMachine } from './state.ts';

export interface VmSpec {
  /** Lower-case letters, digits and dashes; names the runtime folder. */
  id: string;
  image: VmImage;
  cpus: number;
  memoryMiB: number;
  /** Host loopback port of this sandbox's proxy listener. */
  proxyPort: number;
  workspace?: WorkspaceShare;
  /** Size of the writable layer on disk, in MiB (sparse, removed with the VM); 0 or unset: in RAM. */
  diskMiB?: number;
  /** The managed agents' folder, shared read-only (guest /opt/agents). */
  agentsPath?: string;
  /** The per-project agent home, shared read-write (guest /opt/warden-home, linked as ~/.claude, ~/.codex). */
  agentHomePath?: string;
  /** The Warden CA the guest trusts (PEM). */
  caPem?: string;
  /** Extra environment for every command (secret placeholders, never values). */
  env?: Record<string, string>;
  /** Boot deadline (default 60 s under TCG, 15 s otherwise). */
  bootDeadlineMs?: number;
  /** Forces an accelerator for this VM (the KVM probe uses it). */
  accel?: AccelChoice;
}

export interface RunResult extends ExitStatus {
  stdout: Buffer;
  stderr: Buffer;
}

export interface StopOptions {
  /** How long the guest gets to power off before SIGTERM (default 3 s). */
  graceMs?: number;
  /** How long after SIGTERM before SIGKILL (default 2 s). */
  termMs?: number;
}

/** A running (or not) sandbox VM. */
export interface Vm {
  readonly id: string;
  readonly state: LifecycleState;
  /** Why the VM is in ERROR (or the reason given with the last change). */
  readonly reason: string | undefined;
  readonly accel: AccelChoice | undefined;
  readonly pid: number | undefined;
  readonly runtimeDir: string;
  /** Agent hello and the wall time from spawn to it, once RUNNING. */
  readonly hello: (Hello & { bootMs: number }) | undefined;
  onStateChanged(listener: (change: StateChange) => void): () => void;
  /** Boots it; `onStep` hears each phase ("starting QEMU (tcg)", "waiting for the guest agent"). */
  start(opts?: { onStep?(step: string): void }): Promise<void>;
  stop(opts?: StopOptions): Promise<void>;
  exec(opts: ExecOptions): ExecProcess;
  run(
    argv: string[],
    opts?: { stdin?: string | Buffer; env?: Record<string, string>; cwd?: string },
  ): Promise<RunResult>;
  /** The last lines of the guest console (kept after the VM is gone). */
  consoleTail(lines?: number): string;
  /** The guest's latest report of its own memory, while it runs. */
  readonly guestStats?: GuestStats | undefined;
}

export interface QemuVmDeps {
  qemuBinary: string;
  runDir: string;
  /** The accelerator to use (the driver's cached probe). */
  accel: () => Promise<AccelChoice>;
  /** Verifies the image's hashes before boot. */
  verifyImage: (image: VmImage) => Promise<VmImage>;
  /** See QemuLaunchSpec.proxyConnectCommand. */
  proxyConnectCommand: string[];
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

export class QemuVm implements Vm {
  private readonly sm = new VmStateMachine();
  private readonly paths: VmRuntimePaths;
  private child: ChildProcess | undefined;
  private client: ControlClient | undefined;
  private exited: Promise<void> = Promise.resolve();
  private abortBoot: AbortController | undefined;
  private chosenAccel: AccelChoice | undefined;
  private helloInfo: (Hello & { bootMs: number }) | undefined;
  private lastConsole = '';

  constructor(
    private readonly spec: VmSpec,
    private readonly deps: QemuVmDeps,
  ) {
    this.paths = vmRuntimePaths(deps.runDir, spec.id);
  }

  get id(): string {
    return this.spec.id;
  }
  get state(): LifecycleState {
    return this.sm.state;
  }
  get reason(): string | undefined {
    return this.sm.reason;
  }
  get accel(): AccelChoice | undefined {
    return this.chosenAccel;
  }
  get guestStats(): GuestStats | undefined {
    return this.state === LifecycleState.RUNNING ? this.client?.stats : undefined;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }
  get runtimeDir(): string {
    return this.paths.dir;
  }
  get hello(): (Hello & { bootMs: number }) | undefined {
    return this.helloInfo;
  }

  onStateChanged(listener: (change: StateChange) => void): () => void {
    return this.sm.onChange(listener);
  }

  consoleTail(lines = 20): string {
    return tailFile(this.paths.consoleLog, lines) || this.lastConsole.split('\n').slice(-lines).join('\n');
  }

  async start(opts: { onStep?(step: string): void } = {}): Promise<void> {
    this.sm.move(LifecycleState.STARTING);
    const abort = new AbortController();
    this.abortBoot = abort;
    const step = opts.onStep ?? (() => {});
    try {
      step('checking the guest image');
      const accel = this.spec.accel ?? (await this.deps.accel());
      this.chosenAccel = accel;
      const image = await this.deps.verifyImage(this.spec.image);
      abort.signal.throwIfAborted();
      rmSync(this.paths.dir, { recursive: true, force: true });
      createRuntimeDir(this.paths);
      const diskPath = this.spec.diskMiB ? path.join(this.paths.dir, 'disk.img') : undefined;
      if (diskPath) makeSandboxDisk(diskPath, this.spec.diskMiB!);
      const args = buildQemuArgs({
        accel: accel.accel,
        kernelPath: image.kernelPath,
        initrdPath: image.initrdPath,
        ...(image.rootfsPath ? { rootfsPath: image.rootfsPath } : {}),
        ...(diskPath ? { diskPath } : {}),
        cpus: this.spec.cpus,
        memoryMiB: this.spec.memoryMiB,
        proxyPort: this.spec.proxyPort,
        proxyConnectCommand: this.deps.proxyConnectCommand,
        controlSocket: this.paths.controlSocket,
        consoleLog: this.paths.consoleLog,
        pidFile: this.paths.pidFile,
        ...(this.spec.workspace ? { workspace: this.spec.workspace } : {}),
        ...(this.spec.agentsPath ? { agentsPath: this.spec.agentsPath } : {}),
        ...(this.spec.agentHomePath ? { agentHomePath: this.spec.agentHomePath } : {}),
      });
      step(`starting QEMU (${accel.accel})`);
      const spawnedAt = Date.now();
      const logFd = openSync(this.paths.qemuLog, 'a', 0o600);
      const child = spawn(this.deps.qemuBinary, args, { stdio: ['ignore', logFd, logFd] });
      closeSync(logFd);
      this.child = child;
      this.exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          this.onQemuExit(child, code, signal);
          resolve();
        });
        child.once('error', (err) => {
          this.fail(`QEMU could not be started (${this.deps.qemuBinary}): ${err.message}`);
          resolve();
        });
      });
      if (child.pid !== undefined) {
        writeOwner(this.paths, {
          daemonPid: process.pid,
          qemuPid: child.pid,
          startedAt: new Date().toISOString(),
        });
      }
      const deadlineMs = this.spec.bootDeadlineMs ?? (accel.accel === 'tcg' ? 60_000 : 15_000);
      const timer = setTimeout(
        () => abort.abort(new Error(`boot deadline of ${deadlineMs} ms passed`)),
        deadlineMs,
      );
      try {
        const socket = await connectWithRetry(this.paths.controlSocket, abort.signal);
        step('booting the guest (waiting for its agent)');
        const client = new ControlClient(socket);
        this.client = client;
        const hello = await raceAbort(client.waitHello(), abort.signal);
        this.helloInfo = { ...hello, bootMs: Date.now() - spawnedAt };
        step('setting up the guest');
        const setup: Parameters<ControlClient['setup']>[0] = { env: this.spec.env ?? {} };
        if (this.spec.caPem) setup.caPem = this.spec.caPem;
        await raceAbort(client.setup(setup), abort.signal);
        client.onClose((reason) => {
          // QEMU dying closes the channel first; give its exit a moment to be the reason.
          void this.waitExit(1000).then(() => {
            if (this.sm.state === LifecycleState.RUNNING) this.fail(`the guest agent's ${reason}`);
          });
        });
      } finally {
        clearTimeout(timer);
      }
      this.sm.move(LifecycleState.RUNNING, `${accel.accel}: booted in ${this.helloInfo.bootMs} ms`);
    } catch (err) {
      const why = abort.signal.aborted ? (abort.signal.reason as Error).message : (err as Error).message;
      if (this.sm.state === LifecycleState.STARTING) this.fail(`boot failed: ${why}`);
      await this.exited;
      throw new Error(this.sm.reason ?? why);
    } finally {
      this.abortBoot = undefined;
    }
  }

  async stop(opts: StopOptions = {}): Promise<void> {
    const state = this.sm.state;
    if (state === LifecycleState.STOPPED) return;
    if (state === LifecycleState.STOPPING) {
      await this.exited;
      return;
    }
    if (state === LifecycleState.ERROR) {
      await this.exited;
      this.cleanup();
      this.sm.move(LifecycleState.STOPPED);
      return;
    }
    this.sm.move(LifecycleState.STOPPING);
    this.abortBoot?.abort(new Error('stopped during boot'));
    const child = this.child;
    if (child && this.pid !== undefined) {
      this.client?.poweroff();
      if (!(await this.waitExit(opts.graceMs ?? 3000))) {
        child.kill('SIGTERM');
        if (!(await this.waitExit(opts.termMs ?? 2000))) {
          child.kill('SIGKILL');
          await this.exited;
        }
      }
    }
    this.client?.close('VM stopped');
    this.cleanup();
    if (this.sm.state === LifecycleState.STOPPING) this.sm.move(LifecycleState.STOPPED);
  }

  exec(opts: ExecOptions): ExecProcess {
    if (this.sm.state !== LifecycleState.RUNNING || !this.client)
      throw new Error(`VM ${this.id} is ${this.sm.state}`);
    return this.client.exec(opts);
  }

  async run(
    argv: string[],
    opts: { stdin?: string | Buffer; env?: Record<string, string>; cwd?: string } = {},
  ): Promise<RunResult> {
    const execOpts: ExecOptions = { argv, stdin: opts.stdin !== undefined };
    if (opts.env) execOpts.env = opts.env;
    if (opts.cwd) execOpts.cwd = opts.cwd;
    const p = this.exec(execOpts);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    const stdoutDone = new Promise((r) => p.stdout.on('end', r));
    const stderrDone = new Promise((r) => p.stderr.on('end', r));
    if (opts.stdin !== undefined) {
      p.write(opts.stdin);
      p.end();
    }
    const status = await p.exited;
    await Promise.all([stdoutDone, stderrDone]);
    return { ...status, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
  }

  private waitExit(ms: number): Promise<boolean> {
    return Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
    ]);
  }

  private onQemuExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return; // a stale process
    this.lastConsole = tailFile(this.paths.consoleLog, 40);
    this.client?.close(`QEMU exited (${describeExit(code, signal)})`);
    const state = this.sm.state;
    if (state === LifecycleState.STARTING || state === LifecycleState.RUNNING) {
      const qemuLog = tailFile(this.paths.qemuLog, 5);
      const consoleTail = tailFile(this.paths.consoleLog, 10);
      this.fail(
        `QEMU exited unexpectedly (${describeExit(code, signal)})` +
          (qemuLog ? `\nqemu: ${qemuLog}` : '') +
          (consoleTail ? `\nlast console lines:\n${consoleTail}` : ''),
      );
    }
  }

  /** → ERROR, killing QEMU if it is still there; its runtime folder is removed once it exited. */
  private fail(reason: string): void {
    if (!this.sm.canMove(LifecycleState.ERROR)) return;
    this.sm.move(LifecycleState.ERROR, reason);
    this.abortBoot?.abort(new Error(reason));
    this.client?.close(reason);
    if (this.pid !== undefined) this.child?.kill('SIGKILL');
    void this.exited.then(() => {
      if (this.sm.state === LifecycleState.ERROR) this.cleanup();
    });
  }

  private cleanup(): void {
    const tail = tailFile(this.paths.consoleLog, 40);
    if (tail) this.lastConsole = tail;
    rmSync(this.paths.dir, { recursive: true, force: true });
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
