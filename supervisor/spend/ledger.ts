// Spend totals in memory, per sandbox, per UTC day and per model, fed by the `request.ended`
// records that carry usage. The budgets read it before a model API request goes out, and
// `GET /v1/spend` shows it. Bounded: days before the previous month are dropped, and a
// sandbox's models per day are capped (the rest are summed under "other").

import type { BudgetLimit } from '../api/policy-schema.ts';
import {
  emptyModelSpend,
  type ModelSpend,
  type RequestUsage,
  type SandboxSpend,
  type SpendTotals,
  type SpendView,
} from '../api/spend.ts';
import { HourlySpend } from './hours.ts';

const MODELS_PER_DAY = 64;

/** `YYYY-MM-DD` (UTC) of a time. */
export const dayOf = (t: Date): string => t.toISOString().slice(0, 10);
export const monthOf = (t: Date): string => t.toISOString().slice(0, 7);

const tokensOf = (m: ModelSpend | RequestUsage): number =>
  m.inputTokens + m.outputTokens + m.cacheReadTokens + m.cacheWriteTokens;

export class SpendLedger {
  /** sandbox → day → `api model` → spend. */
  readonly #spend = new Map<string, Map<string, Map<string, ModelSpend>>>();
  readonly #hours = new HourlySpend();

  add(sandboxId: string, time: Date, usage: RequestUsage): void {
    this.#hours.add(sandboxId, time, usage.model, tokensOf(usage), usage.costUsd);
    let days = this.#spend.get(sandboxId);
    if (!days) {
      days = new Map();
      this.#spend.set(sandboxId, days);
    }
    const day = dayOf(time);
    this.#prune(days, time);
    let models = days.get(day);
    if (!models) {
      models = new Map();
      days.set(day, models);
    }
    let key = `${usage.api} ${usage.model}`;
    let model = usage.model;
    if (!models.has(key) && models.size >= MODELS_PER_DAY) {
      key = `${usage.api} other`;
      model = 'other';
    }
    let row = models.get(key);
    if (!row) {
      row = emptyModelSpend(model, usage.api);
      models.set(key, row);
    }
    row.requests++;
    row.inputTokens += usage.inputTokens;
    row.outputTokens += usage.outputTokens;
    row.cacheReadTokens += usage.cacheReadTokens;
    row.cacheWriteTokens += usage.cacheWriteTokens;
    if (usage.costUsd === null) row.unpriced++;
    else row.costUsd = round(row.costUsd + usage.costUsd);
  }

  /** A sandbox's total of the UTC day or month `now` is in. */
  totals(sandboxId: string, per: 'day' | 'month', now: Date): SpendTotals {
    const out: SpendTotals = { tokens: 0, costUsd: 0 };
    for (const row of this.#rows(sandboxId, per, now)) {
      out.tokens += tokensOf(row);
      out.costUsd = round(out.costUsd + row.costUsd);
    }
    return out;
  }

  /** The models a sandbox spent on in the UTC day or month of `now`, most costly first. */
  modelsOf(sandboxId: string, per: 'day' | 'month', now: Date, max: number): string[] {
    const cost = new Map<string, number>();
    for (const row of this.#rows(sandboxId, per, now)) {
      cost.set(row.model, (cost.get(row.model) ?? 0) + row.costUsd + tokensOf(row) * 1e-12);
    }
    return [...cost.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, max)
      .map(([model]) => model);
  }

  /**
   * What each sandbox spent (this month per model, the last hours, today and this month),
   * against its limits (`limitsOf`: a sandbox's limits, for those with a policy now).
   * `alsoIds`: sandboxes shown even before they spent (those with limits).
   */
  view(
    now: Date,
    limitsOf: (sandboxId: string) => readonly BudgetLimit[] = () => [],
    alsoIds: readonly string[] = [],
  ): SpendView {
    const ids = [...new Set([...this.#spend.keys(), ...alsoIds])].sort();
    const sandboxes: SandboxSpend[] = ids.map((id) => {
      const models = new Map<string, ModelSpend>();
      for (const row of this.#rows(id, 'month', now)) {
        const key = `${row.api} ${row.model}`;
        const sum = models.get(key) ?? emptyModelSpend(row.model, row.api);
        sum.requests += row.requests;
        sum.inputTokens += row.inputTokens;
        sum.outputTokens += row.outputTokens;
        sum.cacheReadTokens += row.cacheReadTokens;
        sum.cacheWriteTokens += row.cacheWriteTokens;
        sum.unpriced += row.unpriced;
        sum.costUsd = round(sum.costUsd + row.costUsd);
        models.set(key, sum);
      }
      return {
        sandboxId: id,
        today: this.totals(id, 'day', now),
        month: this.totals(id, 'month', now),
        models: [...models.values()].sort((a, b) => b.costUsd - a.costUsd || a.model.localeCompare(b.model)),
        hours: this.#hours.points(id, now),
        limits: limitsOf(id).map((l) => ({
          per: l.per,
          ...(l.tokens !== undefined ? { limitTokens: l.tokens } : {}),
          ...(l.usd !== undefined ? { limitUsd: l.usd } : {}),
          action: l.action ?? 'deny',
          spent: this.totals(id, l.per, now),
        })),
      };
    });
    return { month: monthOf(now), day: dayOf(now), sandboxes };
  }

  *#rows(sandboxId: string, per: 'day' | 'month', now: Date): Generator<ModelSpend> {
    const days = this.#spend.get(sandboxId);
    if (!days) return;
    const want = per === 'day' ? dayOf(now) : monthOf(now);
    for (const [day, models] of days) {
      if (per === 'day' ? day !== want : !day.startsWith(want)) continue;
      yield* models.values();
    }
  }

  /** Drops days before the previous month. */
  #prune(days: Map<string, unknown>, now: Date): void {
    const previous = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    const keep = monthOf(previous);
    for (const day of days.keys()) if (day.slice(0, 7) < keep) days.delete(day);
  }
}

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;
