// The seam the proxy calls once per request (open): is it a model API request, may the
// sandbox spend more, and the meter of its answer. The ledger is fed from the bus by the
// daemon (record), from the same `request.ended` records the audit keeps.

import type { WardenEvent } from '../api/events.ts';
import type { BudgetHoldView } from '../api/spend.ts';
import type { Policy } from '../policy/index.ts';
import { MODEL_API_HOSTS, modelApiOf } from './apis.ts';
import { limitsReached, spendRulesOf } from './budgets.ts';
import { SpendLedger } from './ledger.ts';
import { ExchangeMeter } from './meter.ts';
import { budgetRefusal, type ProviderRefusal } from './provider-errors.ts';
import type { ReadLimits } from './read-usage.ts';

/**
 * A model API request's fate at the budgets: refused (a `deny` limit reached), metered, or
 * metered once a human allows it (`hold`: only `ask` limits reached; `refusal` answers a no).
 */
export type SpendOpening =
  | { refusal: ProviderRefusal }
  | { meter: ExchangeMeter; hold?: { view: BudgetHoldView; refusal: ProviderRefusal } };

export class SpendService {
  readonly ledger = new SpendLedger();

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly limits?: ReadLimits,
  ) {}

  /** Undefined: not a model API request; else its refusal (a budget is used up) or its meter. */
  open(
    sandboxId: string,
    policy: Policy,
    request: { method: string; host: string; path: string },
  ): SpendOpening | undefined {
    const api = modelApiOf(request.method, request.path);
    if (!api) return undefined;
    const rules = spendRulesOf(policy);
    const host = request.host.toLowerCase();
    if (!MODEL_API_HOSTS.includes(host) && !rules.hosts.has(host)) return undefined;
    const now = this.now();
    const reached = limitsReached(this.ledger, sandboxId, rules.limits, now);
    const deny = reached.find((r) => (r.limit.action ?? 'deny') === 'deny');
    if (deny) return { refusal: budgetRefusal(api, deny.reason) };
    const meter = new ExchangeMeter(api, rules, this.limits);
    const ask = reached[0];
    if (!ask) return { meter };
    const view: BudgetHoldView = {
      api,
      per: ask.limit.per,
      ...(ask.limit.tokens !== undefined ? { limitTokens: ask.limit.tokens } : {}),
      ...(ask.limit.usd !== undefined ? { limitUsd: ask.limit.usd } : {}),
      spent: ask.spent,
      models: this.ledger.modelsOf(sandboxId, ask.limit.per, now, 3),
    };
    return { meter, hold: { view, refusal: budgetRefusal(api, ask.reason) } };
  }

  /** Feed the ledger from an event of the bus (only `request.ended` with usage counts). */
  record(event: WardenEvent): void {
    if (event.type !== 'request.ended' || !event.usage) return;
    const time = new Date(event.time);
    this.ledger.add(event.sandboxId, Number.isNaN(time.getTime()) ? this.now() : time, event.usage);
  }
}
