// The contract of model spend: the token usage the proxy read from one model API answer
// (recorded on the request's `request.ended`), and what `GET /v1/spend` answers.

/** Which published API an answer was read as. */
export type ModelApi = 'anthropic.messages' | 'openai.chat' | 'openai.responses';

/**
 * Token usage of one model API request, as read from its answer. `inputTokens` excludes the
 * cached input (`cacheReadTokens`, `cacheWriteTokens`), for both providers.
 */
export interface RequestUsage {
  api: ModelApi;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** In US dollars from the price table (or the policy's `spec.budgets.prices`); null: no price known. */
  costUsd: number | null;
  /**
   * Why the usage may be short: the stream was cut before its last usage event, the body was
   * over the cap, or the answer carried none. The figures are what was seen.
   */
  incomplete?: string;
}

/** Spend of one sandbox on one model. */
export interface ModelSpend {
  model: string;
  api: ModelApi;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  /** Requests whose model had no known price (their cost is not in costUsd). */
  unpriced: number;
}

/** A model's row before its first metered request. */
export function emptyModelSpend(model: string, api: ModelApi): ModelSpend {
  return {
    model,
    api,
    requests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
    unpriced: 0,
  };
}

export interface SpendTotals {
  tokens: number;
  costUsd: number;
}

export interface SandboxSpend {
  sandboxId: string;
  /** The current UTC day and month. */
  today: SpendTotals;
  month: SpendTotals;
  /** This month, per model. */
  models: ModelSpend[];
  /** The last 48 hours, per hour and model (hours with no spend left out), oldest first. */
  hours: SpendPoint[];
  /** The sandbox's budget limits (from its policy) and what was spent against each. */
  limits: BudgetStanding[];
}

/** What a sandbox spent on one model in one UTC hour. */
export interface SpendPoint {
  /** The hour's start, unix milliseconds. */
  hour: number;
  model: string;
  tokens: number;
  costUsd: number;
}

/** One budget limit and where the sandbox stands against it now. */
export interface BudgetStanding {
  per: 'day' | 'month';
  limitTokens?: number;
  limitUsd?: number;
  action: 'ask' | 'deny';
  /** Spent in the limit's current UTC day or month. */
  spent: SpendTotals;
}

export interface SpendView {
  /** The UTC month the totals are of (YYYY-MM) and the day (YYYY-MM-DD). */
  month: string;
  day: string;
  sandboxes: SandboxSpend[];
}

/**
 * What an approval card shows for a model API request held at a budget with `action: ask`:
 * which limit, what was spent against it, and on which models. Answered once only: each
 * request over the limit asks again (raise the limit in the policy to stop asking).
 */
export interface BudgetHoldView {
  /** The API the held request is for. */
  api: ModelApi;
  per: 'day' | 'month';
  /** The limit reached: tokens, dollars, or both (either one reached holds the request). */
  limitTokens?: number;
  limitUsd?: number;
  /** What the sandbox spent in the limit's UTC day or month. */
  spent: SpendTotals;
  /** The models the sandbox spent on in that period, most costly first (at most 3). */
  models: string[];
}
