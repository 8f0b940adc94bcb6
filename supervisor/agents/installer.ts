// Installs an agent the governed way: npm runs inside a new VM sandbox whose policy is the
// agent's preset (its registry rules) under the user's own policy, so every request of the
// install is decided and audited like an agent's; package scripts (Claude Code's
// postinstall picks its native binary) run in the guest, never on the host. The sandbox
// shares a staging folder as /workspace; what npm leaves there is read without following
// links, pinned from its lock file and moved to $WARDEN_HOME/agents/<name>/<version>/.
// npm's cache survives between installs (moved into the staging folder and back).

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { AddAgentRequest, AddAgentResponse, AgentView } from '../api/agent-types.ts';
import { WardenError } from '../api/errors.ts';
import type { CreateVmSandboxRequest, ExecRequest, VmSandboxView, WardenEvent } from '../api/index.ts';
import { loadPreset } from '../policy/presets/index.ts';
import { runTask, type TaskBoard, type TaskHandle } from '../tasks/index.ts';
import type { ExecProcess } from '../vm/index.ts';
import { type AgentSpec, installTitle, parseAgentSpec } from './catalog.ts';
import { type AgentStore, readInstalled, treeBytes } from './store.ts';

/** What the installer needs of the VM sandboxes (VmSandboxes). */
export interface InstallSandboxes {
  create(req: CreateVmSandboxRequest, user: string): Promise<VmSandboxView>;
  exec(sandboxId: string, q: ExecRequest): ExecProcess;
  remove(sandboxId: string): Promise<void>;
}

export interface AgentInstallerDeps {
  store: AgentStore;
  vms: InstallSandboxes;
  /** npm's cache between installs (same file system as the store). */
  cacheDir: string;
  log: (message: string) => void;
  /** How long npm may run (default 20 min). */
  timeoutMs?: number;
  /** Installs show as tasks here: their step, what npm fetched so far, and a cancel. */
  tasks?: TaskBoard;
  /** The event bus, to count what the install sandbox fetches through the proxy. */
  traffic?: (listener: (event: WardenEvent) => void) => () => void;
}

/** Settles when SIGNAL aborts (never otherwise). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** A task handle that goes nowhere, for an installer without a board. */
const NO_TASK: TaskHandle = {
  id: '',
  signal: new AbortController().signal,
  step: () => {},
  progress: () => {},
  detail: () => {},
  sandbox: () => {},
  setCancellable: () => {},
  done: () => {},
  fail: () => {},
};

const OUTPUT_TAIL = 16 << 10;

export function npmInstallArgv(spec: AgentSpec): string[] {
  return [
    'npm',
    'install',
    '--prefix',
    '/workspace',
    '--cache',
    '/workspace/.npm-cache',
    '--no-audit',
    '--no-fund',
    '--no-update-notifier',
    '--omit=dev',
    '--loglevel=warn',
    `${spec.package}@${spec.version ?? 'latest'}`,
  ];
}

export class AgentInstaller {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: AgentInstallerDeps) {}

  /** Installs (or finds) the agent; installs run one at a time. */
  add(req: AddAgentRequest, user: string): Promise<AddAgentResponse> {
    const spec = parseAgentSpec(req.spec);
    if (!spec)
      throw new WardenError(
        'BadRequest',
        `not an agent name or npm package: ${JSON.stringify(req.spec)}`,
        'give claude-code, codex or an npm package name, with @VERSION if you want one',
      );
    const have = this.d.store.find(spec.name, spec.version);
    if (have && !req.update) return Promise.resolve({ agent: have, reused: true });
    const title = installTitle(spec);
    const board = this.d.tasks;
    // One install at a time: this one waits for the one before (a cancel while waiting ends
    // it at once), and the next waits for both.
    const before = this.#queue;
    const run = board
      ? runTask(board, { kind: 'agent.install', title, user, cancellable: true }, async (task) => {
          task.step('waiting for another install to end');
          await Promise.race([before, aborted(task.signal)]);
          return this.#add(spec, req.update === true, user, task);
        })
      : before.then(() => this.#add(spec, req.update === true, user, NO_TASK));
    this.#queue = Promise.all([before, run.catch(() => {})]);
    return run;
  }

  async #add(spec: AgentSpec, update: boolean, user: string, task: TaskHandle): Promise<AddAgentResponse> {
    const cancelled = () => {
      if (task.signal.aborted) throw new Error('cancelled');
    };
    cancelled();
    const have = this.d.store.find(spec.name, spec.version);
    if (have && !update) return { agent: have, reused: true };
    const preset = loadPreset(spec.preset);
    if (!preset) throw new WardenError('InternalError', `the preset ${spec.preset} is missing`);
    const started = Date.now();
    this.d.store.ensure();
    const staging = path.join(this.d.store.dir, `.staging-${randomBytes(6).toString('hex')}`);
    mkdirSync(staging, { mode: 0o700 });
    const cache = path.join(staging, '.npm-cache');
    this.#moveCache(this.d.cacheDir, cache);
    let sandbox: VmSandboxView | undefined;
    let stopCounting = () => {};
    let installed = false;
    try {
      task.step('booting the install sandbox');
      sandbox = await this.d.vms.create(
        {
          label: `agent-add-${spec.name.replace(/[^a-z0-9-]+/g, '-')}`,
          preset,
          cpus: 2,
          memoryMiB: 2048,
          workspace: { path: staging },
          warm: false,
        },
        user,
      );
      task.sandbox(sandbox.sandboxId);
      cancelled();
      stopCounting = this.#countFetches(sandbox.sandboxId, task);
      const argv = npmInstallArgv(spec);
      this.d.log(`agent ${spec.name}: ${argv.join(' ')} in sandbox ${sandbox.sandboxId}`);
      task.step(`npm install ${spec.package}@${spec.version ?? 'latest'}`);
      const { code, output } = await this.#run(sandbox.sandboxId, argv, task.signal);
      cancelled();
      if (code !== 0)
        throw new WardenError(
          'AgentInstallFailed',
          `npm install ${spec.package}@${spec.version ?? 'latest'} failed in sandbox ${sandbox.sandboxId} (exit ${code}):\n${output.trim().split('\n').slice(-25).join('\n')}`,
          'a 403 from Warden names the rule to add (warden rule add, or $WARDEN_HOME/policy.yaml); see the requests with: warden audit --sandbox ' +
            sandbox.sandboxId,
        );
      installed = true;
    } finally {
      stopCounting();
      // From here the files move into place: a cancel would leave less than it saves.
      task.setCancellable(false);
      task.step('removing the install sandbox');
      if (sandbox) await this.d.vms.remove(sandbox.sandboxId).catch(() => {});
      this.#moveCache(cache, this.d.cacheDir);
      rmSync(cache, { recursive: true, force: true });
      // A failed or cancelled install leaves nothing behind but npm's cache.
      if (!installed) rmSync(staging, { recursive: true, force: true });
    }
    task.step('pinning and storing the installed files');
    try {
      const got = readInstalled(staging, spec.package);
      const existing = this.d.store.find(spec.name, got.version);
      if (existing) {
        rmSync(staging, { recursive: true, force: true });
        return { agent: existing, reused: true };
      }
      const view: AgentView = {
        name: spec.name,
        package: spec.package,
        version: got.version,
        integrity: got.integrity,
        installedAt: new Date().toISOString(),
        installMs: Date.now() - started,
        sizeBytes: treeBytes(staging),
        bins: got.bins,
        installSandboxId: sandbox.sandboxId,
      };
      if (!this.d.store.commit(staging, view)) {
        rmSync(staging, { recursive: true, force: true });
        return { agent: this.d.store.find(spec.name, got.version) ?? view, reused: true };
      }
      this.d.log(
        `agent ${spec.name} ${got.version} installed (${view.sizeBytes} bytes, ${view.installMs} ms)`,
      );
      return { agent: view, reused: false };
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      if (error instanceof WardenError) throw error;
      throw new WardenError(
        'AgentInstallFailed',
        `the install of ${spec.package} left no usable result: ${(error as Error).message}`,
        'run it again; if it fails the same way, report it',
      );
    }
  }

  /** Moves npm's cache FROM → TO when FROM exists (same file system); true when it moved. */
  #moveCache(from: string, to: string): boolean {
    if (!existsSync(from)) return false;
    try {
      mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
      rmSync(to, { recursive: true, force: true });
      renameSync(from, to);
      return true;
    } catch (error) {
      this.d.log(`npm cache not carried over (${(error as Error).message})`);
      return false;
    }
  }

  /** Tells the task how many requests the sandbox made through the proxy and how much came down. */
  #countFetches(sandboxId: string, task: TaskHandle): () => void {
    if (!this.d.traffic) return () => {};
    let requests = 0;
    let bytes = 0;
    return this.d.traffic((e) => {
      if (e.type !== 'request.ended' || e.sandboxId !== sandboxId) return;
      bytes += e.bytesDown;
      requests += 1;
      task.progress({ done: requests, unit: 'requests' });
      task.detail(`${(bytes / 1048576).toFixed(1)} MiB downloaded through the proxy`);
    });
  }

  /** Runs ARGV in the sandbox; its exit code and the tail of its output. */
  async #run(
    sandboxId: string,
    argv: string[],
    signal: AbortSignal,
  ): Promise<{ code: number; output: string }> {
    const p = this.d.vms.exec(sandboxId, { argv, cwd: '/workspace' });
    const stop = () => p.kill('KILL');
    signal.addEventListener('abort', stop, { once: true });
    let output = '';
    const keep = (d: Buffer | string) => {
      output = (output + d.toString()).slice(-OUTPUT_TAIL);
    };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    const drained = Promise.all(
      [p.stdout, p.stderr].map((s) => new Promise<void>((resolve) => s.once('end', () => resolve()))),
    );
    const timeoutMs = this.d.timeoutMs ?? 20 * 60_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const ended = await Promise.race([p.exited, timedOut]);
      if (ended === 'timeout') {
        p.kill('KILL');
        return { code: 124, output: `${output}\nnpm did not finish within ${timeoutMs / 1000} s` };
      }
      // The output's last lines explain a failure: wait for them (briefly).
      await Promise.race([drained, new Promise((r) => setTimeout(r, 2000))]);
      return { code: ended.code ?? 128, output };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }
}
