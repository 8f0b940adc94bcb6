// One QEMU microvm and its lifecycle: restore it from its snapshot template (restore.ts) or
// spawn it (qemu-process.ts) and wait for the guest agent's hello within the boot deadline,
// hand over the CA and environment, run commands, stop (ask the agent to power off, wait,
// SIGTERM, SIGKILL), and notice when QEMU dies on its own.

import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { LifecycleState } from '../api/lifecycle.ts';
import { abortable } from './abortable.ts';
import type { AccelChoice } from './accel.ts';
import {
  ControlClient,
  connectWithRetry,
  type ExecOptions,
  type ExecProcess,
  type GuestStats,
  type Hello,
} from './control-client.ts';
import type { VmImage } from './image/manifest.ts';
import { buildQemuArgs } from './qemu-args.ts';
import {
  describeExit,
  endInStages,
  isRunning,
  recordOwner,
  settlesWithin,
  spawnQemu,
} from './qemu-process.ts';
import { RESTORE_DEADLINE_MS, restoreGuest } from './restore.ts';
import { runToEnd } from './run-to-end.ts';
import { createRuntimeDir, tailFile, type VmRuntimePaths, vmRuntimePaths } from './runtime-dir.ts';
import { makeSandboxDisk } from './sandbox-disk.ts';
import { type StateChange, VmStateMachine } from './state.ts';
import type { TemplateShape } from './template-args.ts';
import type { RunOptions, RunResult, StopOptions, Vm, VmSpec } from './vm.ts';
import { NO_TEMPLATE, type VmTemplates } from './vm-template.ts';

export type { RunResult, StopOptions, Vm, VmSpec } from './vm.ts';

export interface QemuVmDeps {
  qemuBinary: string;
  runDir: string;
  /** The accelerator to use (the driver's cached probe). */
  accel: () => Promise<AccelChoice>;
  /** Verifies the image's hashes before boot. */
  verifyImage: (image: VmImage) => Promise<VmImage>;
  /** See QemuLaunchSpec.proxyConnectCommand. */
  proxyConnectCommand: string[];
  /** Snapshot templates: a VM with a disk is restored from one when it can be, else boots and has one built. */
  templates?: VmTemplates;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export class QemuVm implements Vm {
  private readonly sm = new VmStateMachine();
  private readonly paths: VmRuntimePaths;
  private child: ChildProcess | undefined;
  private client: ControlClient | undefined;
  private exited: Promise<void> = Promise.resolve();
  private abortBoot: AbortController | undefined;
  private chosenAccel: AccelChoice | undefined;
  private helloInfo: (Hello & { bootMs: number; restored?: boolean }) | undefined;
  private restoring = false;
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
    return this.child && isRunning(this.child) ? this.child.pid : undefined;
  }
  get runtimeDir(): string {
    return this.paths.dir;
  }
  get hello(): (Hello & { bootMs: number; restored?: boolean }) | undefined {
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
      const deadlineMs = this.spec.bootDeadlineMs ?? (accel.accel === 'tcg' ? 60_000 : 15_000);
      // A template is for VMs with a disk, not for the KVM probe (which forces its accelerator).
      const shape: TemplateShape | undefined =
        this.deps.templates && this.spec.diskMiB && !this.spec.accel
          ? {
              image,
              accel: accel.accel,
              cpus: this.spec.cpus,
              memoryMiB: this.spec.memoryMiB,
              diskMiB: this.spec.diskMiB,
            }
          : undefined;
      // A restore has a deadline of its own; a boot after a failed one gets the whole boot deadline.
      const restored = shape
        ? await this.tryRestore(shape, step, abort.signal, Math.min(RESTORE_DEADLINE_MS, deadlineMs))
        : false;
      if (!restored) {
        const timer = setTimeout(
          () => abort.abort(new Error(`boot deadline of ${deadlineMs} ms passed`)),
          deadlineMs,
        );
        try {
          await this.boot(image, accel, step, abort.signal);
        } finally {
          clearTimeout(timer);
        }
        if (shape) this.deps.templates?.buildLater(shape);
      }
      this.client?.onClose((reason) => {
        // QEMU dying closes the channel first; give its exit a moment to be the reason.
        void settlesWithin(this.exited, 1000).then(() => {
          if (this.sm.state === LifecycleState.RUNNING) this.fail(`the guest agent's ${reason}`);
        });
      });
      const how = this.helloInfo?.restored ? 'restored from its template' : 'booted';
      this.sm.move(LifecycleState.RUNNING, `${accel.accel}: ${how} in ${this.helloInfo?.bootMs} ms`);
    } catch (err) {
      const why = abort.signal.aborted ? (abort.signal.reason as Error).message : (err as Error).message;
      if (this.sm.state === LifecycleState.STARTING) this.fail(`boot failed: ${why}`);
      await this.exited;
      throw new Error(this.sm.reason ?? why);
    } finally {
      this.abortBoot = undefined;
    }
  }

  /** A cold boot: a fresh disk, QEMU, the agent's hello, then its setup. */
  private async boot(
    image: VmImage,
    accel: AccelChoice,
    step: (step: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
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
    this.spawnQemu(args);
    const socket = await connectWithRetry(this.paths.controlSocket, signal);
    step('booting the guest (waiting for its agent)');
    const client = new ControlClient(socket);
    this.client = client;
    const hello = await abortable(client.waitHello(), signal);
    this.helloInfo = { ...hello, bootMs: Date.now() - spawnedAt };
    step('setting up the guest');
    const setup: Parameters<ControlClient['setup']>[0] = { env: this.spec.env ?? {} };
    if (this.spec.caPem) setup.caPem = this.spec.caPem;
    await abortable(client.setup(setup), signal);
  }

  /**
   * Restores the guest from its template when there is a usable one (restore.ts). False when
   * there is none, or the restore failed (logged; its QEMU is gone and the template dropped,
   * not built again by this daemon): the caller boots instead.
   */
  private async tryRestore(
    shape: TemplateShape,
    step: (step: string) => void,
    signal: AbortSignal,
    deadlineMs: number,
  ): Promise<boolean> {
    const templates = this.deps.templates!;
    const found = templates.find(await templates.key(shape));
    if (!('template' in found)) {
      if (found.why !== NO_TEMPLATE) this.deps.log?.('VM template not used', { vm: this.id, why: found.why });
      return false;
    }
    step('restoring the guest from its template');
    const startedAt = Date.now();
    this.restoring = true;
    try {
      rmSync(this.paths.dir, { recursive: true, force: true });
      createRuntimeDir(this.paths);
      this.client = await restoreGuest({
        template: found.template,
        shape,
        paths: this.paths,
        proxyPort: this.spec.proxyPort,
        proxyConnectCommand: this.deps.proxyConnectCommand,
        ...(this.spec.workspace ? { workspace: this.spec.workspace } : {}),
        ...(this.spec.agentsPath ? { agentsPath: this.spec.agentsPath } : {}),
        ...(this.spec.agentHomePath ? { agentHomePath: this.spec.agentHomePath } : {}),
        ...(this.spec.caPem ? { caPem: this.spec.caPem } : {}),
        env: this.spec.env ?? {},
        spawn: (args) => this.spawnQemu(args),
        signal: AbortSignal.any([signal, AbortSignal.timeout(deadlineMs)]),
      });
      this.helloInfo = { ...found.template.hello, bootMs: Date.now() - startedAt, restored: true };
      return true;
    } catch (err) {
      if (signal.aborted) throw err;
      this.deps.log?.('VM restore failed, booting instead', { vm: this.id, error: (err as Error).message });
      templates.discard(found.template);
      const child = this.child;
      this.child = undefined; // its exit is no longer this VM's
      if (child && isRunning(child)) {
        child.kill('SIGKILL');
        await this.exited;
      }
      return false;
    } finally {
      this.restoring = false;
    }
  }

  private spawnQemu(args: string[]): ChildProcess {
    const child = spawnQemu(this.deps.qemuBinary, args, this.paths);
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.onQemuExit(child, code, signal);
        resolve();
      });
      child.once('error', (err) => {
        if (!this.restoring) this.fail(`QEMU could not be started (${this.deps.qemuBinary}): ${err.message}`);
        resolve();
      });
    });
    recordOwner(this.paths, child);
    return child;
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
      await endInStages(child, this.exited, opts.graceMs ?? 3000, opts.termMs ?? 2000);
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

  run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runToEnd((o) => this.exec(o), argv, opts);
  }

  private onQemuExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return; // a stale process
    if (this.restoring) return; // the restore notices, and boots instead
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
