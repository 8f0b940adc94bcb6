// Admin sessions and the sign-in rate limit, held in the hub's database so that several hub
// processes behind one balancer share them (and a restart keeps admins signed in). The cookie
// carries a random token; the database keeps only its SHA-256. The session's CSRF token is
// derived from the cookie's token (a keyed hash), so it is never stored either.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { HUB_ADMIN_LIMITS } from '../api/hub-admin.ts';
import type { AdminDb } from './admin-db.ts';

export interface AdminSession {
  name: string;
  csrf: string;
  expires: number;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const csrfOf = (token: string) => createHash('sha256').update(`csrf\0${token}`).digest('base64url');

export class AdminSessions {
  constructor(
    readonly db: AdminDb,
    readonly now: () => number,
  ) {}

  async create(name: string): Promise<{ token: string; csrf: string }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.now();
    await this.db.run('DELETE FROM hub_admin_sessions WHERE expires <= ?', [now]);
    await this.db.run(
      'INSERT INTO hub_admin_sessions (token_hash, name, created, expires) VALUES (?, ?, ?, ?)',
      [digest(token), name, now, now + HUB_ADMIN_LIMITS.sessionTtlMs],
    );
    return { token, csrf: csrfOf(token) };
  }

  async get(token: string | undefined): Promise<AdminSession | undefined> {
    if (!token || token.length > 256) return undefined;
    const rows = await this.db.all<{ name: string; expires: unknown }>(
      'SELECT name, expires FROM hub_admin_sessions WHERE token_hash = ?',
      [digest(token)],
    );
    const row = rows[0];
    if (!row) return undefined;
    const expires = Number(row.expires);
    if (expires <= this.now()) {
      await this.end(token);
      return undefined;
    }
    return { name: row.name, csrf: csrfOf(token), expires };
  }

  async end(token: string): Promise<void> {
    await this.db.run('DELETE FROM hub_admin_sessions WHERE token_hash = ?', [digest(token)]);
  }
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Failed sign-ins per key (an admin name, a client address) in a sliding window, in the database. */
export class SignInLimiter {
  constructor(
    readonly db: AdminDb,
    readonly now: () => number,
  ) {}

  /** Seconds to wait before another try under any of `keys`, or 0. */
  async retryAfter(keys: readonly string[]): Promise<number> {
    const now = this.now();
    const since = now - HUB_ADMIN_LIMITS.signInWindowMs;
    let wait = 0;
    for (const key of keys) {
      const rows = await this.db.all<{ at: unknown }>(
        'SELECT at FROM hub_signin_failures WHERE key = ? AND at > ? ORDER BY at DESC LIMIT ?',
        [digest(key), since, HUB_ADMIN_LIMITS.signInFailures],
      );
      if (rows.length >= HUB_ADMIN_LIMITS.signInFailures) {
        const oldest = Number(rows.at(-1)!.at);
        wait = Math.max(wait, Math.ceil((oldest + HUB_ADMIN_LIMITS.signInWindowMs - now) / 1000));
      }
    }
    return wait;
  }

  async fail(keys: readonly string[]): Promise<void> {
    const now = this.now();
    await this.db.run('DELETE FROM hub_signin_failures WHERE at <= ?', [
      now - HUB_ADMIN_LIMITS.signInWindowMs,
    ]);
    for (const key of keys)
      await this.db.run('INSERT INTO hub_signin_failures (key, at) VALUES (?, ?)', [digest(key), now]);
  }

  async succeed(keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.db.run('DELETE FROM hub_signin_failures WHERE key = ?', [digest(key)]);
  }
}
