// Prices of the models, in US dollars per million tokens, from the providers' public price
// pages: https://www.anthropic.com/pricing (and docs.anthropic.com "Pricing") and
// https://openai.com/api/pricing (standard tier, not batch). PRICES_AS_OF is when they were
// copied; they change, and a policy's `spec.budgets.prices` overrides any entry. A model is
// found by the longest entry that its name starts with, so dated snapshots
// (claude-sonnet-4-5-20250929, gpt-4o-2024-08-06) take their family's price.

import type { ReadUsage } from './read-usage.ts';

export const PRICES_AS_OF = '2025-11-24';

export interface ModelPrice {
  /** Matched against the start of the model name the answer reports. */
  model: string;
  input: number;
  output: number;
  /** Cached input read (Anthropic cache hits, OpenAI cached input). */
  cacheRead: number;
  /** Cache writes (Anthropic's 5-minute cache write); OpenAI charges none: the input price. */
  cacheWrite: number;
}

const p = (
  model: string,
  input: number,
  output: number,
  cacheRead: number,
  cacheWrite = input,
): ModelPrice => ({
  model,
  input,
  output,
  cacheRead,
  cacheWrite,
});

export const PRICES: readonly ModelPrice[] = [
  // Anthropic
  p('claude-opus-4-5', 5, 25, 0.5, 6.25),
  p('claude-opus-4-1', 15, 75, 1.5, 18.75),
  p('claude-opus-4', 15, 75, 1.5, 18.75),
  p('claude-sonnet-4-5', 3, 15, 0.3, 3.75),
  p('claude-sonnet-4', 3, 15, 0.3, 3.75),
  p('claude-3-7-sonnet', 3, 15, 0.3, 3.75),
  p('claude-haiku-4-5', 1, 5, 0.1, 1.25),
  p('claude-3-5-haiku', 0.8, 4, 0.08, 1),
  p('claude-3-haiku', 0.25, 1.25, 0.03, 0.3),
  // OpenAI
  p('gpt-5-mini', 0.25, 2, 0.025),
  p('gpt-5-nano', 0.05, 0.4, 0.005),
  p('gpt-5', 1.25, 10, 0.125),
  p('gpt-4.1-mini', 0.4, 1.6, 0.1),
  p('gpt-4.1-nano', 0.1, 0.4, 0.025),
  p('gpt-4.1', 2, 8, 0.5),
  p('gpt-4o-mini', 0.15, 0.6, 0.075),
  p('gpt-4o', 2.5, 10, 1.25),
  p('o4-mini', 1.1, 4.4, 0.275),
  p('o3-mini', 1.1, 4.4, 0.55),
  p('o3', 2, 8, 0.5),
];

/** The price of `model`: the policy's entries first, then the table; longest prefix wins. */
export function priceOf(model: string, overrides: readonly ModelPrice[] = []): ModelPrice | undefined {
  const name = model.toLowerCase();
  for (const list of [overrides, PRICES]) {
    let best: ModelPrice | undefined;
    for (const entry of list) {
      const key = entry.model.toLowerCase();
      if (name.startsWith(key) && (!best || key.length > best.model.length)) best = entry;
    }
    if (best) return best;
  }
  return undefined;
}

/** The cost in US dollars (rounded to a millionth), or null when the model has no price. */
export function costOf(usage: ReadUsage, price: ModelPrice | undefined): number | null {
  if (!price) return null;
  const micro =
    usage.inputTokens * price.input +
    usage.outputTokens * price.output +
    usage.cacheReadTokens * price.cacheRead +
    usage.cacheWriteTokens * price.cacheWrite;
  return Math.round(micro) / 1e6;
}
