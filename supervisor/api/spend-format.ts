// How spend reads to a person: tokens with thousands separators, dollars to the cent (or
// finer below a cent), and a budget as "spent of limit per period".

import type { BudgetHoldView } from './spend.ts';

export const tokens = (n: number): string => n.toLocaleString('en-US');

export function usd(n: number): string {
  if (n === 0) return '$0';
  return n >= 0.01 ? `$${n.toFixed(2)}` : `$${n.toPrecision(2)}`;
}

/** "205 of 100 tokens per day (UTC)", with dollars when the limit is in dollars. */
export function budgetLine(hold: Pick<BudgetHoldView, 'per' | 'limitTokens' | 'limitUsd' | 'spent'>): string {
  const parts: string[] = [];
  if (hold.limitTokens !== undefined)
    parts.push(`${tokens(hold.spent.tokens)} of ${tokens(hold.limitTokens)} tokens`);
  if (hold.limitUsd !== undefined) parts.push(`${usd(hold.spent.costUsd)} of ${usd(hold.limitUsd)}`);
  return `${parts.join(', ')} per ${hold.per} (UTC)`;
}
