// The spend route: what each sandbox spent on models this UTC day and month, per model and
// per hour, against the budget limits of its policy.

import type { BudgetLimit } from '../api/policy-schema.ts';
import type { Handlers } from '../server/server.ts';
import type { SpendService } from './service.ts';

/** The sandboxes that have a policy now, with their budget limits. */
export type BudgetsNow = () => Array<{ sandboxId: string; limits: readonly BudgetLimit[] }>;

export function spendHandlers(
  spend: SpendService,
  budgets: BudgetsNow = () => [],
  now: () => Date = () => new Date(),
): Pick<Handlers, 'GET /v1/spend'> {
  return {
    'GET /v1/spend': () => {
      const live = new Map(budgets().map((b) => [b.sandboxId, b.limits]));
      const withLimits = [...live].filter(([, limits]) => limits.length > 0).map(([id]) => id);
      return spend.ledger.view(now(), (id) => live.get(id) ?? [], withLimits);
    },
  };
}
