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
import type { CreateVmSandboxRequest, ExecRequest, VmSandboxView } from '../api/index.ts';
import { loadPreset } from '../policy/presets/index.ts';
import type { ExecProcess } from '../vm/index.ts';
import { type AgentSpec, parseAgentSpec } from './catalog.ts';
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
}

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
    const run = this.#queue.then(() => this.#add(spec, req.update === true, user));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #add(spec: AgentSpec, update: boolean, user: string): Promise<AddAgentResponse> {
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
    try {
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
      const argv = npmInstallArgv(spec);
      this.d.log(`agent ${spec.name}: ${argv.join(' ')} in sandbox ${sandbox.sandboxId}`);
      const { code, output } = await this.#run(sandbox.sandboxId, argv);
      if (code !== 0)
        throw new WardenError(
          'AgentInstallFailed',
          `npm install ${spec.package}@${spec.version ?? 'latest'} failed in sandbox ${sandbox.sandboxId} (exit ${code}):\n${output.trim().split('\n').slice(-25).join('\n')}`,
          'a 403 from Warden names the rule to add (warden rule add, or $WARDEN_HOME/policy.yaml); see the requests with: warden audit --sandbox ' +
            sandbox.sandboxId,
        );
    } finally {
      if (sandbox) await this.d.vms.remove(sandbox.sandboxId).catch(() => {});
      this.#moveCache(cache, this.d.cacheDir);
      rmSync(cache, { recursive: true, force: true });
    }
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

  /** Runs ARGV in the sandbox; its exit code and the tail of its output. */
  async #run(sandboxId: string, argv: string[]): Promise<{ code: number; output: string }> {
    const p = this.d.vms.exec(sandboxId, { argv, cwd: '/workspace' });
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
    }
  }
}
