// What the policy says about spend, gathered over its layers: the extra model API hosts
// (all layers), the price overrides (the most specific layer's entry for a model first),
// and the limits (every layer's limits hold at once: the strictest binds). The organisation's
// prices (else the table's) are a floor: a lower layer cannot make a model cheaper and so
// slip under the organisation's dollar limits.

import type { BudgetLimit } from '../api/policy-schema.ts';
import type { SpendTotals } from '../api/spend.ts';
import type { Policy } from '../policy/index.ts';
import type { SpendLedger } from './ledger.ts';
import { type ModelPrice, priceOf } from './prices.ts';

export interface SpendRules {
  hosts: Set<string>;
  limits: BudgetLimit[];
  prices: ModelPrice[];
  /** With an organisation layer: its price entries, which (with the table) a model costs at least. */
  floor?: ModelPrice[];
}

function entry(p: { model: string; input: number; output: number; cacheRead?: number; cacheWrite?: number }) {
  return {
    model: p.model,
    input: p.input,
    output: p.output,
    cacheRead: p.cacheRead ?? p.input,
    cacheWrite: p.cacheWrite ?? p.input,
  };
}

/** The price a model is charged at: the policy's entries, never below the organisation's floor. */
export function chargedPrice(
  model: string,
  rules: Pick<SpendRules, 'prices' | 'floor'>,
): ModelPrice | undefined {
  const price = priceOf(model, rules.prices);
  if (!rules.floor) return price;
  const floor = priceOf(model, rules.floor);
  if (!price || !floor) return price ?? floor;
  return {
    model: price.model,
    input: Math.max(price.input, floor.input),
    output: Math.max(price.output, floor.output),
    cacheRead: Math.max(price.cacheRead, floor.cacheRead),
    cacheWrite: Math.max(price.cacheWrite, floor.cacheWrite),
  };
}

export function spendRulesOf(policy: Policy): SpendRules {
  const rules: SpendRules = { hosts: new Set(), limits: [], prices: [] };
  // Layers are in precedence order (session first): an earlier layer's price is found first.
  for (const layer of policy.layers) {
    const b = layer.document.spec.budgets;
    if (!b) continue;
    for (const h of b.hosts ?? []) rules.hosts.add(h.toLowerCase());
    rules.limits.push(...(b.limits ?? []));
    for (const p of b.prices ?? []) {
      if (rules.prices.some((q) => q.model.toLowerCase() === p.model.toLowerCase())) continue;
      rules.prices.push(entry(p));
    }
  }
  const org = policy.layers.find((l) => l.layer === 'organisation');
  if (org) rules.floor = (org.document.spec.budgets?.prices ?? []).map(entry);
  return rules;
}

/** A limit the sandbox has reached: what was spent against it and the sentence that says so. */
export interface ReachedLimit {
  limit: BudgetLimit;
  spent: SpendTotals;
  reason: string;
}

/** Every limit the sandbox has reached now, in the policy's order. */
export function limitsReached(
  ledger: SpendLedger,
  sandboxId: string,
  limits: readonly BudgetLimit[],
  now: Date,
): ReachedLimit[] {
  const out: ReachedLimit[] = [];
  for (const limit of limits) {
    const spent = ledger.totals(sandboxId, limit.per, now);
    const period = limit.per === 'day' ? 'today (UTC)' : 'this month (UTC)';
    const fix = `raise spec.budgets.limits in the policy or wait for the next ${limit.per}`;
    if (limit.tokens !== undefined && spent.tokens >= limit.tokens) {
      const reason = `the sandbox's model budget of ${limit.tokens} tokens per ${limit.per} is used up (${spent.tokens} tokens ${period}); ${fix}`;
      out.push({ limit, spent, reason });
    } else if (limit.usd !== undefined && spent.costUsd >= limit.usd) {
      const reason = `the sandbox's model budget of $${limit.usd} per ${limit.per} is used up ($${spent.costUsd.toFixed(4)} ${period}); ${fix}`;
      out.push({ limit, spent, reason });
    }
  }
  return out;
}

/** Why the sandbox may not spend more now (the first limit reached), or undefined. */
export function limitReached(
  ledger: SpendLedger,
  sandboxId: string,
  limits: readonly BudgetLimit[],
  now: Date,
): string | undefined {
  return limitsReached(ledger, sandboxId, limits, now)[0]?.reason;
}
