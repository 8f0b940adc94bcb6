// Approval fatigue: how many prompts each sandbox put in front of a human in the last hour.
// A sliding window of timestamps per sandbox, bounded (a sandbox past the cap reports the cap:
// at that rate nobody reads the prompts any more anyway).

export const RATE_WINDOW_MS = 60 * 60 * 1000;
/** Timestamps kept per sandbox. */
export const RATE_CAP = 10_000;

export class PromptRate {
  readonly #times = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  record(sandboxId: string): void {
    const now = this.#now();
    const list = this.#prune(sandboxId, now);
    list.push(now);
    if (list.length > RATE_CAP) list.splice(0, list.length - RATE_CAP);
    this.#times.set(sandboxId, list);
  }

  /** Prompts in the last hour. */
  lastHour(sandboxId: string): number {
    return this.#prune(sandboxId, this.#now()).length;
  }

  /** Every sandbox with a prompt in the last hour. */
  all(): Array<{ sandboxId: string; lastHour: number }> {
    const out: Array<{ sandboxId: string; lastHour: number }> = [];
    for (const id of [...this.#times.keys()]) {
      const n = this.lastHour(id);
      if (n > 0) out.push({ sandboxId: id, lastHour: n });
    }
    return out;
  }

  forget(sandboxId: string): void {
    this.#times.delete(sandboxId);
  }

  #prune(sandboxId: string, now: number): number[] {
    const list = this.#times.get(sandboxId) ?? [];
    const from = now - RATE_WINDOW_MS;
    let i = 0;
    while (i < list.length && (list[i] as number) <= from) i++;
    if (i > 0) list.splice(0, i);
    if (list.length === 0) this.#times.delete(sandboxId);
    return list;
  }
}
