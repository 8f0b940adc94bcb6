// The one retry schedule for every reconnect and restart (Electron main's daemon
// supervisor and event hub, the browser's event stream, the warm pool's boots): doubling
// from a first delay up to a ceiling. Here in the contract so the renderer can import it.

/** A capped exponential backoff: `initialMs`, twice that, … never more than `maxMs`. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** The delay before retry number `attempt` (0-based). */
export function backoffDelay(backoff: Backoff, attempt: number): number {
  const { initialMs, maxMs } = backoff;
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt, 0), 30));
}
