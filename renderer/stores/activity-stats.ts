// What the activity charts draw: requests per second by outcome over the last minutes (per
// sandbox and for all of them) and the top hosts by requests and by bytes. Plain counters in
// fixed-size arrays, fed by the activity store's batched flush; every structure is bounded
// (seconds kept, sandboxes and hosts tracked), whatever the stream sends.

import type { RequestOutcome } from '../../supervisor/api/events.ts';

/** The series of the rate chart, in drawing order. */
export const RATE_KINDS = ['allowed', 'denied', 'waiting', 'error'] as const;
export type RateKind = (typeof RATE_KINDS)[number];

/** The chart's kind for a request's outcome: a timeout is a denial (nobody answered). */
export function rateKind(outcome: RequestOutcome): RateKind {
  if (outcome === 'allowed') return 'allowed';
  if (outcome === 'error') return 'error';
  return 'denied';
}

export interface HostTotal {
  host: string;
  requests: number;
  bytes: number;
}

export interface RateSeries {
  /** Second boundaries (unix seconds), oldest first. */
  x: number[];
  /** Requests in each second, one array per kind in RATE_KINDS order. */
  y: number[][];
}

export interface ActivityStatsOptions {
  /** Seconds of history kept for the rate chart (default 300). */
  seconds?: number;
  /** Sandboxes tracked one by one (more are counted in "all" only; default 200). */
  maxSandboxes?: number;
  /** Hosts tracked per sandbox and for all (more are counted as "(other hosts)"; default 2,000). */
  maxHosts?: number;
}

export const OTHER_HOSTS = '(other hosts)';

/** Per-second counts for the last `seconds` seconds: a ring indexed by unix second. */
class SecondRing {
  readonly #stamp: Float64Array;
  readonly #counts: Uint32Array[];

  constructor(readonly seconds: number) {
    this.#stamp = new Float64Array(seconds).fill(-1);
    this.#counts = RATE_KINDS.map(() => new Uint32Array(seconds));
  }

  add(second: number, kind: number): void {
    const slot = second % this.seconds;
    const stamp = this.#stamp[slot]!;
    // A second older than what the slot holds now is out of the window: not counted.
    if (stamp > second) return;
    if (stamp !== second) {
      this.#stamp[slot] = second;
      for (const c of this.#counts) c[slot] = 0;
    }
    this.#counts[kind]![slot]!++;
  }

  /** The window ending at `nowSecond` (inclusive), oldest first; missing seconds count zero. */
  series(nowSecond: number): RateSeries {
    const x: number[] = new Array(this.seconds);
    const y = RATE_KINDS.map(() => new Array<number>(this.seconds));
    for (let i = 0; i < this.seconds; i++) {
      const second = nowSecond - this.seconds + 1 + i;
      x[i] = second;
      const slot = ((second % this.seconds) + this.seconds) % this.seconds;
      const live = this.#stamp[slot] === second;
      for (let k = 0; k < y.length; k++) y[k]![i] = live ? this.#counts[k]![slot]! : 0;
    }
    return { x, y };
  }
}

class HostTable {
  readonly #hosts = new Map<string, { requests: number; bytes: number }>();
  constructor(readonly max: number) {}

  #entry(host: string) {
    let e = this.#hosts.get(host);
    if (!e) {
      const key = this.#hosts.size >= this.max ? OTHER_HOSTS : host;
      e = this.#hosts.get(key);
      if (!e) {
        e = { requests: 0, bytes: 0 };
        this.#hosts.set(key, e);
      }
    }
    return e;
  }

  request(host: string): void {
    this.#entry(host).requests++;
  }

  bytes(host: string, n: number): void {
    if (n > 0) this.#entry(host).bytes += n;
  }

  top(by: 'requests' | 'bytes', n: number): HostTotal[] {
    return [...this.#hosts]
      .map(([host, t]) => ({ host, ...t }))
      .filter((t) => t[by] > 0)
      .sort((a, b) => b[by] - a[by] || a.host.localeCompare(b.host))
      .slice(0, n);
  }
}

/** Counters behind the activity charts; `''` is every sandbox together. */
export class ActivityStats {
  readonly seconds: number;
  readonly #maxSandboxes: number;
  readonly #maxHosts: number;
  readonly #rates = new Map<string, SecondRing>();
  readonly #hosts = new Map<string, HostTable>();

  constructor(opts: ActivityStatsOptions = {}) {
    this.seconds = opts.seconds ?? 300;
    this.#maxSandboxes = opts.maxSandboxes ?? 200;
    this.#maxHosts = opts.maxHosts ?? 2000;
    this.clear();
  }

  clear(): void {
    this.#rates.clear();
    this.#hosts.clear();
    this.#rates.set('', new SecondRing(this.seconds));
    this.#hosts.set('', new HostTable(this.#maxHosts));
  }

  /** The keys an event counts under: all, and its sandbox while there is room for it. */
  #keys(sandboxId: string): string[] {
    if (this.#rates.has(sandboxId)) return ['', sandboxId];
    if (this.#rates.size > this.#maxSandboxes) return [''];
    this.#rates.set(sandboxId, new SecondRing(this.seconds));
    this.#hosts.set(sandboxId, new HostTable(this.#maxHosts));
    return ['', sandboxId];
  }

  /** A request seen at `ms` (unix ms): one count in its second, under its kind and host. */
  request(sandboxId: string, host: string, kind: RateKind, ms: number, bytes = 0): void {
    const second = Math.floor(ms / 1000);
    if (!Number.isFinite(second)) return;
    const k = RATE_KINDS.indexOf(kind);
    for (const key of this.#keys(sandboxId)) {
      this.#rates.get(key)!.add(second, k);
      if (kind !== 'waiting') this.#hosts.get(key)!.request(host);
      if (bytes > 0) this.#hosts.get(key)!.bytes(host, bytes);
    }
  }

  /** Bytes of an exchange that ended (its request was counted when it was decided). */
  bytes(sandboxId: string, host: string, n: number): void {
    for (const key of this.#keys(sandboxId)) this.#hosts.get(key)!.bytes(host, n);
  }

  /** An exchange that was allowed and then failed: one count of error in the second it ended. */
  failed(sandboxId: string, ms: number): void {
    const second = Math.floor(ms / 1000);
    if (!Number.isFinite(second)) return;
    for (const key of this.#keys(sandboxId)) this.#rates.get(key)!.add(second, RATE_KINDS.indexOf('error'));
  }

  rate(sandboxId: string, nowMs: number): RateSeries {
    const ring = this.#rates.get(sandboxId) ?? new SecondRing(this.seconds);
    return ring.series(Math.floor(nowMs / 1000));
  }

  topHosts(sandboxId: string, by: 'requests' | 'bytes', n = 8): HostTotal[] {
    return this.#hosts.get(sandboxId)?.top(by, n) ?? [];
  }
}
