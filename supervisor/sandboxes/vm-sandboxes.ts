// VM sandboxes: a governed proxy listener plus a QEMU microvm whose only way out is that
// listener. Creating one makes the listener first (its port goes into the VM's network),
// then boots the VM (or takes a pre-booted one from the warm pool and binds the sandbox's
// identity, policy and secrets to its listener). Every VM state change is emitted as a
// `sandbox.state` event; removing a sandbox stops its VM and closes its listener together.

import { randomBytes } from 'node:crypto';
import { WardenError } from '../api/errors.ts';
import type {
  CreateVmSandboxRequest,
  ExecRequest,
  VmSandboxView,
  VmStatusView,
  WardenEvent,
} from '../api/index.ts';
import { LifecycleState } from '../api/lifecycle.ts';
import type { Logger } from '../proxy/index.ts';
import type { AccelChoice, ExecProcess, GuestStats, VmDriver } from '../vm/index.ts';
import { DEFAULT_DISK_MIB } from '../vm/index.ts';
import { openAgentHome, scrubAfterRemoval } from './agent-home.ts';
import { type ColdBootTasks, coldBoot } from './cold-boot.ts';
import { guestEnv } from './guest-env.ts';
import type { ImageStore } from './images.ts';
import { neutralContext } from './neutral-context.ts';
import type { Sandbox } from './sandbox.ts';
import type { Sandboxes } from './sandboxes.ts';
import { type AgentResolver, agentEnv, agentHomeEnv, resolveAgents } from './vm-agents.ts';
import { type Entry, vmSandboxView } from './vm-entry.ts';
import { type PooledVm, WarmPool } from './warm-pool.ts';
import { checkWorkspace } from './workspace.ts';

export interface VmSandboxesDeps {
  sandboxes: Sandboxes;
  driver: VmDriver;
  images: ImageStore;
  /** The Warden CA the guests trust (PEM). */
  caPem: string;
  emit: (event: WardenEvent) => void;
  log: Logger;
  user: string;
  /** Pre-booted VMs to keep (0 disables the pool). */
  poolSize: number;
  defaults?: { cpus: number; memoryMiB: number; diskMiB?: number };
  /** Managed agents: their folder (shared read-only into every VM) and how names resolve to pins. */
  agents?: AgentResolver;
  /** Per-project agent homes ($WARDEN_HOME/homes) and how to tell a secret value in a file. */
  homes?: { dir: string; secretsIn: (data: Buffer) => string[] };
  /** Cold boots show as long work here (progress and cancel in every client). */
  tasks?: ColdBootTasks;
}

export const DEFAULT_CPUS = 1;
export const DEFAULT_MEMORY_MIB = 512;
export { DEFAULT_DISK_MIB };

/** A label usable in a VM id: lower-case letters, digits and dashes. */
function vmLabel(label: string | undefined): string {
  const clean = (label ?? 'sandbox')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/, '');
  return clean || 'sandbox';
}

export class VmSandboxes {
  readonly #d: VmSandboxesDeps;
  readonly #byId = new Map<string, Entry>();
  readonly pool: WarmPool;
  readonly #defaults: { cpus: number; memoryMiB: number; diskMiB: number };
  #accel: AccelChoice | undefined;
  /** Set by stopAll: a create still under way boots no VM after it. */
  #stopped = false;

  constructor(deps: VmSandboxesDeps) {
    this.#d = deps;
    this.#defaults = {
      cpus: deps.defaults?.cpus ?? DEFAULT_CPUS,
      memoryMiB: deps.defaults?.memoryMiB ?? DEFAULT_MEMORY_MIB,
      diskMiB: deps.defaults?.diskMiB ?? DEFAULT_DISK_MIB,
    };
    this.pool = new WarmPool({
      size: deps.poolSize,
      boot: (signal) => this.#bootPooled(signal),
      discard: async (p) => {
        await Promise.allSettled([p.vm.stop(), p.listener.close()]);
      },
      log: deps.log,
    });
  }

  /** Kills what an earlier daemon left behind, then fills the warm pool. */
  async start(): Promise<void> {
    const reaped = await this.#d.driver.reapOrphans();
    for (const r of reaped) {
      this.#d.log.warn('reaped a VM left by an earlier daemon', {
        dir: r.dir,
        ...(r.pid ? { pid: r.pid } : {}),
        killed: r.killed,
      });
    }
    if (this.#d.images.list().length > 0) this.#probe();
    this.pool.fill();
  }

  status(): VmStatusView {
    return {
      accel: this.#accel ? { accel: this.#accel.accel, reason: this.#accel.reason } : null,
      pool: this.pool.status(),
      sandboxes: this.#byId.size,
      imagesDir: this.#d.images.dir,
      images: this.#d.images.list().length,
    };
  }

  list(): VmSandboxView[] {
    return [...this.#byId.values()].map((e) => vmSandboxView(e));
  }

  has(sandboxId: string): boolean {
    return this.#byId.has(sandboxId);
  }

  /** The pid of a sandbox's QEMU process while it has one (for its CPU and memory). */
  pidOf(sandboxId: string): number | undefined {
    return this.#byId.get(sandboxId)?.vm.pid;
  }

  /** The guest's own latest report of its memory, while its VM runs. */
  guestStatsOf(sandboxId: string): GuestStats | undefined {
    return this.#byId.get(sandboxId)?.vm.guestStats;
  }

  view(sandboxId: string): VmSandboxView {
    return vmSandboxView(this.#get(sandboxId));
  }

  async create(req: CreateVmSandboxRequest, user: string): Promise<VmSandboxView> {
    const cpus = req.cpus ?? this.#defaults.cpus;
    const memoryMiB = req.memoryMiB ?? this.#defaults.memoryMiB;
    const diskMiB = req.diskMiB ?? this.#defaults.diskMiB;
    const workspace = req.workspace ? checkWorkspace(req.workspace) : undefined;
    const agents = resolveAgents(this.#d.agents, req.agents ?? []);
    const agentHome = req.agentHome ? openAgentHome(this.#d.homes, workspace) : undefined;
    const image = await this.#d.images.resolve(req.image);
    const listenerReq = {
      label: vmLabel(req.label),
      ...(req.policy ? { policy: req.policy } : {}),
      ...(req.preset ? { preset: req.preset } : {}),
      secrets: req.secrets ?? [],
      user: req.user ?? user,
    };
    const fits =
      req.warm !== false &&
      !workspace &&
      !agentHome &&
      cpus === this.#defaults.cpus &&
      memoryMiB === this.#defaults.memoryMiB &&
      diskMiB === this.#defaults.diskMiB;
    const pooled = fits ? this.pool.take(image.id) : undefined;
    if (pooled) return vmSandboxView(this.#adopt(listenerReq, pooled, agents));
    this.pool.fill(); // an image may exist now that did not before
    const sandbox = await this.#d.sandboxes.create(listenerReq, 'vm');
    const sandboxId = sandbox.identity.sandboxId;
    if (this.#stopped) {
      // stopAll has run since this create began: nothing would stop a VM booted now.
      await this.#d.sandboxes.remove(sandboxId).catch(() => {});
      throw new WardenError(
        'SandboxBootFailed',
        `sandbox ${sandboxId} was not booted: the Warden daemon is stopping`,
        'retry once the daemon runs again (warden run starts it)',
      );
    }
    const vm = this.#d.driver.create({
      id: sandboxId,
      image,
      cpus,
      memoryMiB,
      diskMiB,
      proxyPort: sandbox.port,
      caPem: this.#d.caPem,
      env: { ...guestEnv(sandbox), ...agentEnv(agents), ...agentHomeEnv(agentHome !== undefined) },
      ...(workspace ? { workspace } : {}),
      ...(this.#d.agents ? { agentsPath: this.#d.agents.dir } : {}),
      ...(agentHome ? { agentHomePath: agentHome } : {}),
    });
    const entry = this.#track({
      ...(agentHome ? { agentHome } : {}),
      sandbox,
      vm,
      image,
      cpus,
      memoryMiB,
      diskMiB,
      workspace,
      agents,
      fromPool: false,
    });
    try {
      await coldBoot(vm, { tasks: this.#d.tasks, sandboxId, user: listenerReq.user });
    } catch (error) {
      await this.remove(sandboxId).catch(() => {});
      if (error instanceof WardenError && error.name === 'Cancelled') throw error;
      throw new WardenError(
        'SandboxBootFailed',
        `sandbox ${sandboxId} did not boot: ${(error as Error).message}`,
        'check QEMU and the image with: warden doctor',
      );
    }
    this.#accel ??= vm.accel;
    return vmSandboxView(entry);
  }

  /** Runs a command in the sandbox's VM; the secret placeholders are in its environment. */
  exec(sandboxId: string, q: ExecRequest): ExecProcess {
    const e = this.#get(sandboxId);
    if (e.vm.state !== LifecycleState.RUNNING) {
      throw new WardenError(
        'SandboxNotRunning',
        `sandbox ${sandboxId} is ${e.vm.state}${e.vm.reason ? `: ${e.vm.reason.split('\n')[0]}` : ''}`,
        `see its console with: warden logs ${sandboxId}; remove it with: warden stop ${sandboxId}`,
      );
    }
    return e.vm.exec({
      argv: q.argv,
      env: {
        ...guestEnv(e.sandbox),
        ...agentEnv(e.agents),
        ...agentHomeEnv(e.agentHome !== undefined),
        ...(q.env ?? {}),
      },
      ...(q.cwd ? { cwd: q.cwd } : {}),
      stdin: q.stdin ?? false,
      ...(q.tty ? { pty: { rows: q.rows ?? 24, cols: q.cols ?? 80 } } : {}),
    });
  }

  consoleTail(sandboxId: string, lines: number): string {
    return this.#get(sandboxId).vm.consoleTail(lines);
  }

  /** Stops the VM and removes the listener (and its secrets' placeholders) together. */
  remove(sandboxId: string): Promise<void> {
    const e = this.#get(sandboxId);
    e.removing ??= (async () => {
      // No grace for a power-off: the guest keeps no state worth flushing (workspace writes
      // over 9p are already on the host), and QEMU ends cleanly on SIGTERM.
      const results = await Promise.allSettled([
        e.vm.stop({ graceMs: 0 }),
        this.#d.sandboxes.remove(sandboxId),
      ]);
      e.dispose();
      this.#byId.delete(sandboxId);
      if (e.agentHome && this.#d.homes)
        scrubAfterRemoval(e.agentHome, e.sandbox.identity, this.#d.homes.secretsIn, this.#d);
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    })();
    return e.removing;
  }

  async stopAll(): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled([
      this.pool.stop(),
      this.#d.driver.stop?.(),
      ...[...this.#byId.keys()].map((id) => this.remove(id)),
    ]);
  }

  #get(sandboxId: string): Entry {
    const e = this.#byId.get(sandboxId);
    if (!e) {
      throw new WardenError('SandboxNotFound', `no sandbox ${sandboxId}`, 'list them with: warden ps');
    }
    return e;
  }

  #track(init: Omit<Entry, 'dispose'>): Entry {
    const { sandbox, vm } = init;
    const dispose = vm.onStateChanged((c) => {
      this.#d.emit({
        type: 'sandbox.state',
        time: new Date(c.at).toISOString(),
        ...sandbox.identity,
        state: c.to,
        previous: c.from,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(init.agents.length > 0 ? { agents: init.agents.map((a) => ({ ...a.pin })) } : {}),
      });
      if (c.to === LifecycleState.ERROR) {
        this.#d.log.warn('sandbox VM failed', {
          sandbox: sandbox.identity.sandboxId,
          reason: c.reason?.split('\n')[0],
        });
      }
    });
    const entry: Entry = { ...init, dispose };
    this.#byId.set(sandbox.identity.sandboxId, entry);
    return entry;
  }

  /** Binds a new sandbox (identity, policy layers, secrets) to a pooled VM's listener. */
  #adopt(listenerReq: Parameters<Sandboxes['create']>[0], pooled: PooledVm, agents: Entry['agents']): Entry {
    let sandbox: Sandbox;
    try {
      sandbox = this.#d.sandboxes.adopt(listenerReq, pooled.listener, 'vm');
    } catch (error) {
      void Promise.allSettled([pooled.vm.stop(), pooled.listener.close()]);
      throw error;
    }
    const entry = this.#track({
      sandbox,
      vm: pooled.vm,
      image: pooled.image,
      cpus: this.#defaults.cpus,
      memoryMiB: this.#defaults.memoryMiB,
      diskMiB: this.#defaults.diskMiB,
      agents,
      fromPool: true,
    });
    this.#d.emit({
      type: 'sandbox.state',
      time: new Date().toISOString(),
      ...sandbox.identity,
      state: LifecycleState.RUNNING,
      previous: LifecycleState.STOPPED,
      reason: `from the warm pool (VM ${pooled.vm.id}, booted in ${pooled.vm.hello?.bootMs ?? '?'} ms)`,
    });
    return entry;
  }

  /** Boots a pool VM; when `signal` aborts (the pool stops) the boot is abandoned and its VM stopped. */
  async #bootPooled(signal: AbortSignal): Promise<Omit<PooledVm, 'release'> | undefined> {
    const image = this.#d.images.find();
    if (!image) return undefined;
    const poolId = `pool-${randomBytes(4).toString('hex')}`;
    const listener = await this.#d.sandboxes.createIdle(neutralContext(poolId, this.#d.user));
    if (signal.aborted) {
      await listener.close();
      throw signal.reason;
    }
    const vm = this.#d.driver.create({
      id: poolId,
      image,
      cpus: this.#defaults.cpus,
      memoryMiB: this.#defaults.memoryMiB,
      diskMiB: this.#defaults.diskMiB,
      proxyPort: listener.port,
      caPem: this.#d.caPem,
      env: {},
      ...(this.#d.agents ? { agentsPath: this.#d.agents.dir } : {}),
    });
    const abandon = (): void => void vm.stop({ graceMs: 0 });
    signal.addEventListener('abort', abandon, { once: true });
    try {
      await vm.start();
      // The guest's first commands pay for what its agent and kernel load lazily (process
      // spawning, the command's pages, the agent's exec path compiled by V8); paying it here,
      // with and without a stdin pipe as runs use, keeps it off the sandbox's first run.
      for (const stdin of [undefined, '', undefined, ''])
        await vm.run(['true'], stdin === undefined ? {} : { stdin });
    } catch (error) {
      await Promise.allSettled([vm.stop(), listener.close()]);
      throw error;
    } finally {
      signal.removeEventListener('abort', abandon);
    }
    this.#accel ??= vm.accel;
    return { vm, listener, image };
  }

  #probe(): void {
    this.#d.driver.accel().then(
      (a) => {
        this.#accel = a;
        this.#d.log.info('VM accelerator', { accel: a.accel, reason: a.reason });
      },
      (error: Error) => this.#d.log.warn('VM accelerator probe failed', { error: error.message }),
    );
  }
}
