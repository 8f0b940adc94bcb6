// One-time codes for browser mode: `warden ui` opens a URL carrying a code, never the API
// token, because a browser opener's argv can be read by any local user with `ps`. A code is
// good once and for a short time; the page exchanges it for its session (ui-session.ts).

import { randomBytes } from 'node:crypto';

/** How long a code stays good: long enough for a browser to start, short enough to go stale. */
export const UI_CODE_TTL_MS = 60_000;
/** Codes waiting to be used; minting more drops the oldest. */
const MAX_OUTSTANDING = 16;

export class OneTimeCodes {
  readonly ttlMs: number;
  readonly #now: () => number;
  /** code → the time it expires. */
  readonly #codes = new Map<string, number>();

  constructor(opts: { ttlMs?: number; now?: () => number } = {}) {
    this.ttlMs = opts.ttlMs ?? UI_CODE_TTL_MS;
    this.#now = opts.now ?? Date.now;
  }

  /** A fresh code (256 random bits, URL-safe). */
  issue(): string {
    this.#sweep();
    while (this.#codes.size >= MAX_OUTSTANDING) {
      const oldest = this.#codes.keys().next().value as string;
      this.#codes.delete(oldest);
    }
    const code = randomBytes(32).toString('base64url');
    this.#codes.set(code, this.#now() + this.ttlMs);
    return code;
  }

  /** True once for a code that was issued and has not expired; it is used up either way. */
  redeem(code: string): boolean {
    const expires = this.#codes.get(code);
    if (expires === undefined) return false;
    this.#codes.delete(code);
    return this.#now() < expires;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [code, expires] of this.#codes) if (expires <= now) this.#codes.delete(code);
  }
}
