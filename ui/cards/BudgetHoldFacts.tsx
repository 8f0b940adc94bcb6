// What an approval card shows for a model API request held at a budget (`action: ask`): the
// limit, what the sandbox spent against it, and the models it spent on. Such a request is
// answered once: to stop asking, the limit is raised in the policy.

import React from 'react';
import type { BudgetHoldView } from '../../supervisor/api/spend.ts';
import { budgetLine } from '../../supervisor/api/spend-format.ts';

/** The rows of the card's facts list for a request held at a budget. */
export function BudgetHoldFacts({ hold, prefix = '' }: { hold: BudgetHoldView; prefix?: string }) {
  return (
    <>
      <dt>Budget</dt>
      <dd className={`${prefix}budget-line`}>{budgetLine(hold)}</dd>
      {hold.models.length > 0 ? (
        <>
          <dt>Models</dt>
          <dd className={`${prefix}budget-models`}>{hold.models.join(', ')}</dd>
        </>
      ) : null}
      <dt>Answer</dt>
      <dd className={`${prefix}hint`}>
        Allow once lets this request through; raise spec.budgets.limits to stop asking.
      </dd>
    </>
  );
}
