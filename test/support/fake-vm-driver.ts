// A VmDriver for tests, after Rancher Desktop's mock backend: chosen at the composition root
// (DaemonOptions.vmDriver) in place of QEMU. A VM boots at once, or fails, or hangs until the
// test lets it go or it is stopped; a command's output and exit are what the test scripts;
// power-off is instant. The VMs keep the real lifecycle table (supervisor/vm/state.ts), so
// a move QEMU's VMs could not make throws here too. `fakeImage` writes the manifest of a
// guest image the daemon can find (no kernel: nothing boots it).

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { LifecycleState } from '../../supervisor/api/lifecycle.ts';
import { imageId } from '../../supervisor/vm/image/manifest.ts';
import {
  type AccelChoice,
  type ExecOptions,
  type ExecProcess,
  type ExitStatus,
  type Hello,
  type ImageManifest,
  imageAt,
  type ReapedVm,
  type RunOptions,
  type RunResult,
  type StateChange,
  type StopOptions,
  type Vm,
  type VmDriver,
  type VmImage,
  type VmSpec,
} from '../../supervisor/vm/index.ts';
import { runToEnd } from '../../supervisor/vm/run-to-end.ts';
import { VmStateMachine } from '../../supervisor/vm/state.ts';

/** How a boot goes: at once, failing with a reason, or hanging until `finishBoot`/`failBoot` or a stop. */
export type BootOutcome = 'ok' | 'hang' | { fail: string };

/** What a command does: print and exit at once, or run until it is killed or the test ends it. */
export type ExecOutcome =
  | { stdout?: string; stderr?: string; code?: number | null; signal?: string | null }
  | 'hang';

export interface FakeVmDriverOptions {
  boot?: (spec: VmSpec) => BootOutcome;
  exec?: (argv: string[], opts: ExecOptions, vm: FakeVm) => ExecOutcome;
  accel?: AccelChoice;
  /** What reapOrphans reports once (default nothing). */
  orphans?: ReapedVm[];
}

export class FakeVmDriver implements VmDriver {
  readonly name = 'fake';
  /** Every VM created, in order. */
  readonly vms: FakeVm[] = [];
  /** Decides each boot; tests may replace it between steps. */
  boot: (spec: VmSpec) => BootOutcome;
  /** Decides each command; tests may replace it between steps. */
  exec: (argv: string[], opts: ExecOptions, vm: FakeVm) => ExecOutcome;
  readonly accelChoice: AccelChoice;
  #orphans: ReapedVm[];

  constructor(opts: FakeVmDriverOptions = {}) {
    this.boot = opts.boot ?? (() => 'ok');
    this.exec = opts.exec ?? (() => ({ code: 0 }));
    this.accelChoice = opts.accel ?? { accel: 'tcg', reason: 'fake VM driver' };
    this.#orphans = [...(opts.orphans ?? [])];
  }

  accel(): Promise<AccelChoice> {
    return Promise.resolve(this.accelChoice);
  }

  create(spec: VmSpec): FakeVm {
    const vm = new FakeVm(spec, this);
    this.vms.push(vm);
    return vm;
  }

  reapOrphans(): Promise<ReapedVm[]> {
    return Promise.resolve(this.#orphans.splice(0));
  }

  /** The VM created for `id` (a sandbox id, or a pool VM's id). */
  vm(id: string): FakeVm | undefined {
    return this.vms.find((v) => v.id === id);
  }

  /** VMs that would still hold a QEMU process: starting, running or stopping. */
  live(): FakeVm[] {
    const gone: LifecycleState[] = [LifecycleState.STOPPED, LifecycleState.ERROR];
    return this.vms.filter((v) => !gone.includes(v.state));
  }
}

export class FakeVm implements Vm {
  readonly spec: VmSpec;
  /** Every command run in this VM, in order (the pool's warm-up commands included). */
  readonly execs: FakeExec[] = [];
  /** Lines the guest console shows (tests may add to it). */
  readonly console: string[] = [];
  /** The options of each stop() call. */
  readonly stops: StopOptions[] = [];
  readonly #driver: FakeVmDriver;
  readonly #sm = new VmStateMachine();
  #accel: AccelChoice | undefined;
  #hello: (Hello & { bootMs: number }) | undefined;
  #boot: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #stopping: Promise<void> | undefined;

  constructor(spec: VmSpec, driver: FakeVmDriver) {
    this.spec = spec;
    this.#driver = driver;
  }

  get id(): string {
    return this.spec.id;
  }
  get state(): LifecycleState {
    return this.#sm.state;
  }
  get reason(): string | undefined {
    return this.#sm.reason;
  }
  get accel(): AccelChoice | undefined {
    return this.#accel;
  }
  get pid(): number | undefined {
    return undefined;
  }
  get runtimeDir(): string {
    return `(fake VM ${this.id}: no runtime folder)`;
  }
  get hello(): (Hello & { bootMs: number }) | undefined {
    return this.#hello;
  }
  /** True while a boot scripted 'hang' waits. */
  get bootHanging(): boolean {
    return this.#boot !== undefined;
  }

  onStateChanged(listener: (change: StateChange) => void): () => void {
    return this.#sm.onChange(listener);
  }

  consoleTail(lines = 20): string {
    return this.console.slice(-lines).join('\n');
  }

  /** Like QemuVm.start: STARTING, then RUNNING; a failure moves to ERROR and rejects. */
  async start(opts: { onStep?(step: string): void } = {}): Promise<void> {
    this.#sm.move(LifecycleState.STARTING);
    this.#accel = this.spec.accel ?? this.#driver.accelChoice;
    try {
      opts.onStep?.('booting the guest (fake)');
      const outcome = this.#driver.boot(this.spec);
      if (outcome === 'hang') {
        await new Promise<void>((resolve, reject) => {
          this.#boot = { resolve, reject };
        });
      } else if (outcome !== 'ok') throw new Error(outcome.fail);
    } catch (error) {
      const why = (error as Error).message;
      if (this.#sm.state === LifecycleState.STARTING) this.#fail(`boot failed: ${why}`);
      throw new Error(this.#sm.reason ?? why);
    } finally {
      this.#boot = undefined;
    }
    this.#hello = { version: 1, agent: 'fake', uptimeMs: 1, kernel: 'fake', bootMs: 0 };
    this.#sm.move(LifecycleState.RUNNING, `${this.#accel.accel}: booted at once (fake)`);
  }

  /** Lets a boot scripted 'hang' reach RUNNING. */
  finishBoot(): void {
    this.#boot?.resolve();
  }

  /** Fails a boot scripted 'hang' (as a boot deadline would). */
  failBoot(reason: string): void {
    this.#boot?.reject(new Error(reason));
  }

  /** The VM dies on its own (QEMU exited): ERROR, and its commands end without a status. */
  crash(reason = 'QEMU exited unexpectedly (signal SIGKILL)'): void {
    this.#fail(reason);
    this.#boot?.reject(new Error(reason));
  }

  /** Like QemuVm.stop: a boot in progress is abandoned; running commands end without a status. */
  stop(opts: StopOptions = {}): Promise<void> {
    this.stops.push(opts);
    const state = this.#sm.state;
    if (state === LifecycleState.STOPPED) return Promise.resolve();
    if (state === LifecycleState.STOPPING) return this.#stopping ?? Promise.resolve();
    if (state === LifecycleState.ERROR) {
      this.#sm.move(LifecycleState.STOPPED);
      return Promise.resolve();
    }
    this.#sm.move(LifecycleState.STOPPING);
    this.#stopping = (async () => {
      this.#boot?.reject(new Error('stopped during boot'));
      this.#hangUp();
      await new Promise((r) => setImmediate(r));
      if (this.#sm.state === LifecycleState.STOPPING) this.#sm.move(LifecycleState.STOPPED);
    })();
    return this.#stopping;
  }

  exec(opts: ExecOptions): ExecProcess {
    if (this.#sm.state !== LifecycleState.RUNNING) throw new Error(`VM ${this.id} is ${this.#sm.state}`);
    const proc = new FakeExec(this.execs.length + 1, opts);
    this.execs.push(proc);
    const outcome = this.#driver.exec(opts.argv, opts, this);
    if (outcome !== 'hang') {
      setImmediate(() => {
        if (outcome.stdout) proc.out(outcome.stdout);
        if (outcome.stderr) proc.err(outcome.stderr);
        proc.exit(outcome.code === undefined ? 0 : outcome.code, outcome.signal ?? null);
      });
    }
    return proc;
  }

  run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runToEnd((o) => this.exec(o), argv, opts);
  }

  #fail(reason: string): void {
    if (!this.#sm.canMove(LifecycleState.ERROR)) return;
    this.#sm.move(LifecycleState.ERROR, reason);
    this.#hangUp();
  }

  /** The control channel closed: every command still running ends with no status. */
  #hangUp(): void {
    for (const p of this.execs) p.exit(null, null);
  }
}

let nextPid = 100;

/** One command in a fake VM: records what the host sent it; the test can make it print and exit. */
export class FakeExec implements ExecProcess {
  readonly channel: number;
  readonly argv: string[];
  readonly options: ExecOptions;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly started: Promise<number>;
  readonly exited: Promise<ExitStatus>;
  /** What was written to its stdin. */
  readonly stdin: Buffer[] = [];
  stdinEnded = false;
  /** The signals it was sent. */
  readonly signals: string[] = [];
  readonly resizes: Array<[rows: number, cols: number]> = [];
  #status: ExitStatus | undefined;
  readonly #ignored = new Set<string>();
  #resolveExit!: (status: ExitStatus) => void;

  constructor(channel: number, options: ExecOptions) {
    this.channel = channel;
    this.argv = options.argv;
    this.options = options;
    this.started = Promise.resolve(nextPid++);
    this.exited = new Promise((resolve) => {
      this.#resolveExit = resolve;
    });
  }

  /** Its exit status, once it ended. */
  get status(): ExitStatus | undefined {
    return this.#status;
  }

  write(data: Uint8Array | string): void {
    this.stdin.push(Buffer.from(data));
  }
  end(): void {
    this.stdinEnded = true;
  }
  /** A signal ends the command, killed by it, unless it ignores the signal (as `trap "" TERM`). */
  kill(signal = 'SIGTERM'): void {
    this.signals.push(signal);
    if (this.#ignored.has(signal) && signal !== 'SIGKILL') return;
    this.exit(null, signal);
  }
  /** The command ignores these signals from now on (SIGKILL cannot be ignored). */
  ignore(...signals: string[]): void {
    for (const s of signals) this.#ignored.add(s);
  }
  resize(rows: number, cols: number): void {
    this.resizes.push([rows, cols]);
  }

  out(data: string): void {
    if (!this.#status) this.stdout.write(data);
  }
  err(data: string): void {
    if (!this.#status) this.stderr.write(data);
  }
  /** Ends the command (once): its output streams end, then `exited` resolves. */
  exit(code: number | null, signal: string | null = null): void {
    if (this.#status) return;
    this.#status = { code, signal };
    this.stdout.end();
    this.stderr.end();
    this.#resolveExit(this.#status);
  }
}

/** Writes the manifest of a guest image named `name` under `imagesDir`; nothing boots its files. */
export function fakeImage(imagesDir: string, name = 'minimal'): VmImage {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const kernel = sha(`fake kernel ${name}`);
  const initrd = sha(`fake initrd ${name}`);
  const id = imageId(kernel, initrd);
  const manifest: ImageManifest = {
    format: 2,
    id,
    name,
    kernel: { file: 'vmlinux', sha256: kernel, size: 1, version: 'fake' },
    initrd: { file: 'initrd.cpio', sha256: initrd, size: 1 },
    agent: 'fake',
    protocol: 1,
    builtAt: new Date().toISOString(),
  };
  const dir = path.join(imagesDir, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return imageAt(dir, manifest);
}
