// Spend per sandbox, per UTC hour and per model, for the charts: the last HOURS_KEPT hours
// only (older hours are dropped as new ones come), and at most MODELS_PER_HOUR models an
// hour (the rest are summed under "other"), so a long-running daemon holds a bounded amount.

import type { SpendPoint } from '../api/spend.ts';

export const HOURS_KEPT = 48;
const MODELS_PER_HOUR = 16;
const HOUR_MS = 3_600_000;

export const hourOf = (t: Date): number => Math.floor(t.getTime() / HOUR_MS) * HOUR_MS;

export class HourlySpend {
  /** sandbox → hour start (ms) → model → tokens and dollars. */
  readonly #spend = new Map<string, Map<number, Map<string, { tokens: number; costUsd: number }>>>();

  add(sandboxId: string, time: Date, model: string, tokens: number, costUsd: number | null): void {
    const hour = hourOf(time);
    let hours = this.#spend.get(sandboxId);
    if (!hours) {
      hours = new Map();
      this.#spend.set(sandboxId, hours);
    }
    const oldest = hour - (HOURS_KEPT - 1) * HOUR_MS;
    for (const h of hours.keys()) if (h < oldest) hours.delete(h);
    // A record older than the window (read back from the audit trail) is not charted.
    const newest = Math.max(hour, ...hours.keys());
    if (hour < newest - (HOURS_KEPT - 1) * HOUR_MS) return;
    let models = hours.get(hour);
    if (!models) {
      models = new Map();
      hours.set(hour, models);
    }
    const name = models.has(model) || models.size < MODELS_PER_HOUR ? model : 'other';
    const row = models.get(name) ?? { tokens: 0, costUsd: 0 };
    row.tokens += tokens;
    row.costUsd = Math.round((row.costUsd + (costUsd ?? 0)) * 1e6) / 1e6;
    models.set(name, row);
  }

  /** The points of the HOURS_KEPT hours up to `now`, oldest first. */
  points(sandboxId: string, now: Date): SpendPoint[] {
    const hours = this.#spend.get(sandboxId);
    if (!hours) return [];
    const oldest = hourOf(now) - (HOURS_KEPT - 1) * HOUR_MS;
    const out: SpendPoint[] = [];
    for (const hour of [...hours.keys()].sort((a, b) => a - b)) {
      if (hour < oldest || hour > now.getTime()) continue;
      for (const [model, row] of hours.get(hour) ?? []) out.push({ hour, model, ...row });
    }
    return out;
  }
}
