// Pre-booted VMs, so a sandbox does not wait for a boot. Each one has its own proxy
// listener (attributed to a neutral, deny-all context until a sandbox takes it over).
// Taking one starts a refill in the background, a moment later: a boot under TCG takes a
// whole core for seconds, and starting it the instant a VM is handed over would slow the
// sandbox's first command, the very thing the pool is there to make fast. A failed boot is
// retried with backoff.

import { backoffDelay } from '../api/backoff.ts';
import { LifecycleState } from '../api/lifecycle.ts';
import type { Logger, ProxyListener } from '../proxy/index.ts';
import type { Vm, VmImage } from '../vm/index.ts';

export interface PooledVm {
  vm: Vm;
  listener: ProxyListener;
  image: VmImage;
  /** Removes the pool's own state listener from the VM. */
  release(): void;
}

export interface WarmPoolDeps {
  size: number;
  /**
   * Boots one pool VM with its listener; resolves once it is RUNNING. Undefined: no image yet.
   * `signal` aborts when the pool stops: the boot is abandoned (its VM stopped) and rejects.
   */
  boot: (signal: AbortSignal) => Promise<Omit<PooledVm, 'release'> | undefined>;
  /** Stops a pool VM and closes its listener. */
  discard: (p: Omit<PooledVm, 'release'>) => Promise<void>;
  log: Logger;
  /** How long after a hand-over the refill starts (default 1500 ms). */
  refillDelayMs?: number;
}

export const DEFAULT_REFILL_DELAY_MS = 1500;

/** After the n-th failed boot in a row: 2 s, 4 s, … up to a minute. */
const BOOT_RETRY = { initialMs: 1000, maxMs: 60_000 };

export class WarmPool {
  readonly #deps: WarmPoolDeps;
  readonly #ready: PooledVm[] = [];
  #booting = 0;
  #failures = 0;
  #lastError: string | undefined;
  #retry: NodeJS.Timeout | undefined;
  #refill: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #stopping = new AbortController();
  readonly #inflight = new Set<Promise<void>>();

  constructor(deps: WarmPoolDeps) {
    this.#deps = deps;
  }

  get size(): number {
    return this.#deps.size;
  }

  status(): { size: number; ready: number; booting: number; lastError?: string } {
    return {
      size: this.#deps.size,
      ready: this.#ready.length,
      booting: this.#booting,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  /** A RUNNING pool VM of `imageId`, or undefined; a refill starts either way (later after a hand-over). */
  take(imageId: string): PooledVm | undefined {
    const i = this.#ready.findIndex((p) => p.image.id === imageId && p.vm.state === LifecycleState.RUNNING);
    const taken = i >= 0 ? this.#ready.splice(i, 1)[0] : undefined;
    if (!taken) {
      this.fill();
      return undefined;
    }
    taken.release();
    if (!this.#refill && !this.#stopped) {
      this.#refill = setTimeout(() => {
        this.#refill = undefined;
        this.fill();
      }, this.#deps.refillDelayMs ?? DEFAULT_REFILL_DELAY_MS);
      this.#refill.unref();
    }
    return taken;
  }

  /** Boots VMs until ready + booting reaches the size. */
  fill(): void {
    if (this.#stopped || this.#retry) return;
    while (this.#ready.length + this.#booting < this.#deps.size) {
      this.#booting++;
      const work = this.#bootOne().finally(() => {
        this.#booting--;
        this.#inflight.delete(work);
      });
      this.#inflight.add(work);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort(new Error('the warm pool stopped'));
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#refill) clearTimeout(this.#refill);
    await Promise.allSettled([...this.#inflight]);
    const all = this.#ready.splice(0);
    await Promise.allSettled(
      all.map((p) => {
        p.release();
        return this.#deps.discard(p);
      }),
    );
  }

  async #bootOne(): Promise<void> {
    let booted: Omit<PooledVm, 'release'> | undefined;
    try {
      booted = await this.#deps.boot(this.#stopping.signal);
    } catch (error) {
      if (this.#stopped) return; // abandoned because the pool stopped: not a failure
      this.#failures++;
      this.#lastError = (error as Error).message;
      const delay = backoffDelay(BOOT_RETRY, this.#failures);
      this.#deps.log.warn('warm pool: a boot failed; retrying later', {
        error: this.#lastError.split('\n')[0],
        retryInMs: delay,
      });
      if (!this.#stopped && !this.#retry) {
        this.#retry = setTimeout(() => {
          this.#retry = undefined;
          this.fill();
        }, delay);
        this.#retry.unref();
      }
      return;
    }
    if (!booted) {
      this.#lastError = 'no guest image yet (the first run builds it)';
      return;
    }
    if (this.#stopped) {
      await this.#deps.discard(booted);
      return;
    }
    this.#failures = 0;
    this.#lastError = undefined;
    const entry: PooledVm = { ...booted, release: () => {} };
    // A pool VM that dies while waiting is dropped and replaced.
    const dispose = booted.vm.onStateChanged((c) => {
      if (c.to !== LifecycleState.ERROR) return;
      const i = this.#ready.indexOf(entry);
      if (i < 0) return;
      this.#ready.splice(i, 1);
      dispose();
      this.#deps.log.warn('warm pool: a pre-booted VM failed; replacing it', {
        reason: c.reason?.split('\n')[0],
      });
      void this.#deps.discard(booted).then(() => this.fill());
    });
    entry.release = () => {
      dispose();
    };
    this.#ready.push(entry);
  }
}
