// The seam the proxy calls once per request (open): is it a model API request, may the
// sandbox spend more, and the meter of its answer. The ledger is fed from the bus by the
// daemon (record), from the same `request.ended` records the audit keeps.

import type { WardenEvent } from '../api/events.ts';
import type { Policy } from '../policy/index.ts';
import { MODEL_API_HOSTS, modelApiOf } from './apis.ts';
import { limitReached, spendRulesOf } from './budgets.ts';
import { SpendLedger } from './ledger.ts';
import { ExchangeMeter } from './meter.ts';
import { budgetRefusal, type ProviderRefusal } from './provider-errors.ts';
import type { ReadLimits } from './read-usage.ts';

export type SpendOpening = { refusal: ProviderRefusal } | { meter: ExchangeMeter };

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
    const reached = limitReached(this.ledger, sandboxId, rules.limits, this.now());
    if (reached) return { refusal: budgetRefusal(api, reached) };
    return { meter: new ExchangeMeter(api, rules.prices, this.limits) };
  }

  /** Feed the ledger from an event of the bus (only `request.ended` with usage counts). */
  record(event: WardenEvent): void {
    if (event.type !== 'request.ended' || !event.usage) return;
    const time = new Date(event.time);
    this.ledger.add(event.sandboxId, Number.isNaN(time.getTime()) ? this.now() : time, event.usage);
  }
}
