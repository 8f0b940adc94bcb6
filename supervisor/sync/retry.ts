// How the link waits before trying again: full-jitter exponential backoff (a random delay
// between 0 and min(cap, base × 2^attempt)), never less than the hub's Retry-After.

import { backoffDelay } from '../api/backoff.ts';

export interface RetrySchedule {
  /** The first ceiling (ms). */
  baseMs: number;
  /** The largest ceiling (ms): five minutes by default. */
  capMs: number;
}

export const DEFAULT_RETRY: RetrySchedule = { baseMs: 500, capMs: 5 * 60_000 };

/** The delay before retry `attempt` (0-based); `retryAfterMs` from the hub is a floor (capped too). */
export function retryDelay(
  schedule: RetrySchedule,
  attempt: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  const ceiling = backoffDelay({ initialMs: schedule.baseMs, maxMs: schedule.capMs }, attempt);
  const jitter = Math.floor(random() * ceiling);
  return Math.min(schedule.capMs, Math.max(jitter, retryAfterMs ?? 0));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
