// One supervisor for the Warden daemon (after VS Code's utilityProcess): attach to the
// daemon that already answers, or spawn `warden daemon` detached (its output appended to
// the daemon log, so quitting the window never kills agents); health checks through the
// API; a crash restarts it with capped exponential backoff; exits of processes from an
// earlier generation are ignored; stop = ask (SIGTERM), wait, then kill.

import { EventEmitter } from 'node:events';
import { open } from 'node:fs/promises';
import { type Backoff, backoffDelay } from '../supervisor/api/backoff.ts';
import type { LiveEvent } from '../supervisor/api/events.ts';
import { LifecycleState } from '../supervisor/api/lifecycle.ts';
import type { ApiRoutes, RouteKey } from '../supervisor/api/routes.ts';
import type { ApiClient } from '../supervisor/client/api-client.ts';

/**
 * The daemon's lifecycle as main supervises it, in the contract's states:
 * STOPPED  nothing supervised (initially, after stop(), after detach()).
 * STARTING looking for a daemon, or waiting for the spawned one to answer.
 * RUNNING  the daemon answers GET /v1/status.
 * STOPPING stop() asked it to exit and is waiting (then kills it).
 * ERROR    it crashed, did not start, or stopped answering; a restart is scheduled.
 */
export const DaemonState = LifecycleState;
export type DaemonState = LifecycleState;

/** The part of ApiClient the main process uses (ApiClient satisfies it). */
export interface DaemonApi {
  call<K extends RouteKey>(
    route: K,
    args?: {
      params?: ApiRoutes[K]['params'];
      query?: Record<string, string | undefined>;
      body?: ApiRoutes[K]['body'];
      timeoutMs?: number;
    },
  ): Promise<ApiRoutes[K]['response']>;
  events(
    onEvent: (event: LiveEvent) => void,
    opts: { signal?: AbortSignal; onOpen?: () => void; tasks: true },
  ): Promise<void>;
  /** The exec upgrade (the embedded terminal attaches with it). */
  upgrade?: ApiClient['upgrade'];
}

/** A spawned daemon process (a ChildProcess satisfies it). */
export interface DaemonProcess {
  readonly pid?: number | undefined;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  unref(): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface DaemonSupervisorOptions {
  /** A client for the daemon's socket (re-reads the token file: a new daemon has a new token). */
  connect(): Promise<DaemonApi>;
  /** Start `warden daemon` detached, output appended to the daemon log. */
  spawnDaemon(): DaemonProcess;
  /** Send a signal to a pid (process.kill); `0` probes whether it is alive. */
  signal(pid: number, signal: NodeJS.Signals | 0): boolean;
  daemonLog: string;
  clock?: Clock;
  healthIntervalMs?: number;
  /** Consecutive failed health checks before the daemon counts as gone. */
  healthFailures?: number;
  startTimeoutMs?: number;
  stopTimeoutMs?: number;
  pollMs?: number;
  backoff?: Backoff;
  /** RUNNING this long resets the backoff. */
  stableMs?: number;
  log?: (line: string) => void;
}

export interface StateChange {
  state: DaemonState;
  previous: DaemonState;
  reason?: string;
}

export class DaemonSupervisor extends EventEmitter<{ 'state-changed': [StateChange] }> {
  readonly #o: Required<Omit<DaemonSupervisorOptions, 'clock' | 'log' | 'backoff'>> & { backoff: Backoff };
  readonly #clock: Clock;
  readonly #log: (line: string) => void;
  #state: DaemonState = DaemonState.STOPPED;
  #client: DaemonApi | undefined;
  #pid: number | undefined;
  /** Bumped for every spawn and on stop/detach; exits of older generations are stale. */
  #generation = 0;
  #child: { generation: number; exited: boolean } | undefined;
  #childExit: (() => void) | undefined;
  #attempt = 0;
  #runningSince = 0;
  #timer: unknown;
  #failures = 0;
  #starting: Promise<void> | undefined;

  constructor(options: DaemonSupervisorOptions) {
    super();
    this.#clock = options.clock ?? realClock;
    this.#log = options.log ?? (() => {});
    this.#o = {
      healthIntervalMs: 5_000,
      healthFailures: 2,
      startTimeoutMs: 20_000,
      stopTimeoutMs: 10_000,
      pollMs: 150,
      stableMs: 60_000,
      ...options,
      backoff: options.backoff ?? { initialMs: 1_000, maxMs: 30_000 },
    };
  }

  get state(): DaemonState {
    return this.#state;
  }

  /** The daemon's pid (spawned or attached), when known. */
  get pid(): number | undefined {
    return this.#pid;
  }

  /** Restarts so far since the daemon last ran stably. */
  get attempt(): number {
    return this.#attempt;
  }

  /** A client for the running daemon; rejects with a clear error when it is not running. */
  async client(): Promise<DaemonApi> {
    if (this.#state === DaemonState.STARTING && this.#starting) await this.#starting;
    if (this.#state !== DaemonState.RUNNING || !this.#client) {
      throw Object.assign(new Error(`the Warden daemon is ${this.#state.toLowerCase()}`), {
        name: 'DaemonUnavailable',
        hint: `see its log: ${this.#o.daemonLog}`,
      });
    }
    return this.#client;
  }

  /** Attach to a running daemon or spawn one; resolves when RUNNING or ERROR (a retry is then scheduled). */
  start(): Promise<void> {
    if (this.#state === DaemonState.RUNNING) return Promise.resolve();
    if (this.#starting) return this.#starting;
    this.#cancelTimer();
    this.#starting = this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#set(DaemonState.STARTING);
    const started = this.#generation;
    const attached = await this.#ping();
    if (started !== this.#generation) return; // detached or stopped meanwhile
    if (attached) {
      this.#running(attached.client, attached.pid, 'attached to the running daemon');
      return;
    }
    const generation = ++this.#generation;
    let child: DaemonProcess;
    try {
      child = this.#o.spawnDaemon();
    } catch (error) {
      this.#crashed(`could not start the daemon: ${(error as Error).message}`);
      return;
    }
    const record = { generation, exited: false };
    this.#child = record;
    child.once('exit', (code, signal) => {
      record.exited = true;
      this.#onExit(generation, code, signal);
    });
    child.unref();
    this.#pid = child.pid;
    const deadline = this.#clock.now() + this.#o.startTimeoutMs;
    while (this.#clock.now() < deadline) {
      await this.#sleep(this.#o.pollMs);
      if (generation !== this.#generation || this.#state !== DaemonState.STARTING) return;
      if (record.exited) return; // #onExit already moved to ERROR
      const up = await this.#ping();
      if (up) {
        this.#running(up.client, up.pid, `started the daemon (pid ${up.pid})`);
        return;
      }
    }
    this.#abandon(`the daemon did not answer within ${this.#o.startTimeoutMs} ms`);
  }

  /** A daemon that is alive but does not answer: its exit becomes stale, it is killed, a restart scheduled. */
  #abandon(reason: string): void {
    const pid = this.#pid;
    this.#generation++;
    this.#pid = undefined;
    this.#crashed(reason);
    if (pid !== undefined && this.#o.signal(pid, 0)) this.#o.signal(pid, 'SIGKILL');
  }

  async #ping(): Promise<{ client: DaemonApi; pid: number } | undefined> {
    try {
      const client = await this.#o.connect();
      const status = await client.call('GET /v1/status', { timeoutMs: 3_000 });
      return { client, pid: status.pid };
    } catch {
      return undefined;
    }
  }

  #running(client: DaemonApi, pid: number, reason: string): void {
    this.#client = client;
    this.#pid = pid;
    this.#failures = 0;
    this.#runningSince = this.#clock.now();
    this.#set(DaemonState.RUNNING, reason);
    this.#scheduleHealth();
  }

  #scheduleHealth(): void {
    this.#cancelTimer();
    this.#timer = this.#clock.setTimeout(() => void this.#healthCheck(), this.#o.healthIntervalMs);
  }

  async #healthCheck(): Promise<void> {
    if (this.#state !== DaemonState.RUNNING) return;
    const generation = this.#generation;
    const up = await this.#ping();
    if (this.#state !== DaemonState.RUNNING || generation !== this.#generation) return;
    if (up) {
      this.#failures = 0;
      this.#client = up.client;
      this.#pid = up.pid;
      if (this.#attempt > 0 && this.#clock.now() - this.#runningSince >= this.#o.stableMs) this.#attempt = 0;
    } else if (++this.#failures >= this.#o.healthFailures) {
      this.#abandon(`the daemon stopped answering (${this.#failures} failed health checks)`);
      return;
    }
    this.#scheduleHealth();
  }

  #onExit(generation: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (generation !== this.#generation) {
      this.#log(`ignoring the exit of a stale daemon process (generation ${generation})`);
      return;
    }
    this.#childExit?.();
    if (this.#state === DaemonState.STOPPING || this.#state === DaemonState.STOPPED) return;
    this.#crashed(`the daemon exited (${signal ?? `code ${code}`})`);
  }

  #crashed(reason: string): void {
    this.#client = undefined;
    this.#cancelTimer();
    const delay = this.backoffDelay(this.#attempt);
    this.#attempt++;
    this.#set(DaemonState.ERROR, `${reason}; restarting in ${delay} ms`);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.start();
    }, delay);
  }

  /** Delay before restart number `attempt` (0-based): doubling from initialMs, capped at maxMs. */
  backoffDelay(attempt: number): number {
    return backoffDelay(this.#o.backoff, attempt);
  }

  /** Stop the daemon (and so every agent): SIGTERM, wait up to stopTimeoutMs, then SIGKILL. */
  async stop(): Promise<void> {
    this.#cancelTimer();
    if (this.#starting) await this.#starting.catch(() => {});
    this.#cancelTimer();
    const pid = this.#pid;
    this.#set(DaemonState.STOPPING);
    if (pid !== undefined && this.#o.signal(pid, 0)) {
      this.#o.signal(pid, 'SIGTERM');
      const exited = await this.#waitForExit(pid, this.#o.stopTimeoutMs);
      if (!exited) {
        this.#log(`the daemon (pid ${pid}) did not exit within ${this.#o.stopTimeoutMs} ms; killing it`);
        this.#o.signal(pid, 'SIGKILL');
        await this.#waitForExit(pid, 2_000);
      }
    }
    this.#generation++;
    this.#client = undefined;
    this.#pid = undefined;
    this.#set(DaemonState.STOPPED, 'stopped');
  }

  /** Stop supervising but leave the daemon (and its agents) running: for "quit window only". */
  detach(): void {
    this.#cancelTimer();
    this.#generation++;
    this.#client = undefined;
    this.#set(DaemonState.STOPPED, 'detached; the daemon keeps running');
  }

  async #waitForExit(pid: number, ms: number): Promise<boolean> {
    const deadline = this.#clock.now() + ms;
    const child = this.#child;
    const ours = child && child.generation === this.#generation;
    while (this.#clock.now() < deadline) {
      if (ours ? child.exited : !this.#o.signal(pid, 0)) return true;
      await new Promise<void>((resolve) => {
        const t = this.#clock.setTimeout(resolve, this.#o.pollMs);
        this.#childExit = () => {
          this.#clock.clearTimeout(t);
          resolve();
        };
      });
      this.#childExit = undefined;
    }
    return ours ? child.exited : !this.#o.signal(pid, 0);
  }

  /** The last `lines` lines of the daemon log (reads at most the last 256 KiB). */
  async tailLog(lines = 200): Promise<string> {
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(this.#o.daemonLog, 'r');
      const { size } = await handle.stat();
      const length = Math.min(size, 256 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const text = buffer.toString('utf8').split('\n');
      if (size > length) text.shift(); // first line is probably cut
      if (text[text.length - 1] === '') text.pop();
      return text.slice(-lines).join('\n');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    } finally {
      await handle?.close();
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimeout(resolve, ms));
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #set(state: DaemonState, reason?: string): void {
    const previous = this.#state;
    if (previous === state && reason === undefined) return;
    this.#state = state;
    this.#log(`daemon ${previous} -> ${state}${reason ? `: ${reason}` : ''}`);
    this.emit('state-changed', { state, previous, ...(reason ? { reason } : {}) });
  }
}
