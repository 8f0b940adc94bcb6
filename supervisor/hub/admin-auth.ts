// Admin sessions and the sign-in rate limit, held in the hub process's memory: a restart
// signs admins out, and hub processes behind one balancer need sticky sessions. The cookie
// carries a random token; the server keeps only its SHA-256, with the session's CSRF token.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { HUB_ADMIN_LIMITS } from '../api/hub-admin.ts';

interface Session {
  name: string;
  csrf: string;
  expires: number;
}

const MAX_SESSIONS = 1000;
const MAX_TRACKED = 10_000;

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export class AdminSessions {
  readonly #sessions = new Map<string, Session>();
  constructor(readonly now: () => number) {}

  create(name: string): { token: string; csrf: string } {
    const token = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    if (this.#sessions.size >= MAX_SESSIONS) this.#sweep();
    if (this.#sessions.size >= MAX_SESSIONS)
      this.#sessions.delete(this.#sessions.keys().next().value as string);
    this.#sessions.set(digest(token), { name, csrf, expires: this.now() + HUB_ADMIN_LIMITS.sessionTtlMs });
    return { token, csrf };
  }

  get(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const s = this.#sessions.get(digest(token));
    if (!s) return undefined;
    if (s.expires <= this.now()) {
      this.#sessions.delete(digest(token));
      return undefined;
    }
    return s;
  }

  end(token: string): void {
    this.#sessions.delete(digest(token));
  }

  #sweep(): void {
    const now = this.now();
    for (const [k, s] of this.#sessions) if (s.expires <= now) this.#sessions.delete(k);
  }
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Failed sign-ins per key (an admin name, a client address) in a sliding window. */
export class SignInLimiter {
  readonly #failures = new Map<string, number[]>();
  constructor(readonly now: () => number) {}

  /** Seconds to wait before another try under any of `keys`, or 0. */
  retryAfter(keys: readonly string[]): number {
    const now = this.now();
    let wait = 0;
    for (const key of keys) {
      const recent = (this.#failures.get(key) ?? []).filter((t) => t > now - HUB_ADMIN_LIMITS.signInWindowMs);
      if (recent.length >= HUB_ADMIN_LIMITS.signInFailures) {
        wait = Math.max(wait, Math.ceil((recent[0]! + HUB_ADMIN_LIMITS.signInWindowMs - now) / 1000));
      }
    }
    return wait;
  }

  fail(keys: readonly string[]): void {
    const now = this.now();
    if (this.#failures.size > MAX_TRACKED) this.#failures.clear();
    for (const key of keys) {
      const recent = (this.#failures.get(key) ?? []).filter((t) => t > now - HUB_ADMIN_LIMITS.signInWindowMs);
      recent.push(now);
      this.#failures.set(key, recent.slice(-HUB_ADMIN_LIMITS.signInFailures));
    }
  }

  succeed(keys: readonly string[]): void {
    for (const key of keys) this.#failures.delete(key);
  }
}
