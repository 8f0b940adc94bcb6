// A model API request over a budget whose limit says `ask`: held as an approval whose card
// shows the budget (which limit, spent against it, the models), answered once. Allowed: the
// request goes on, metered, decided by the approval. Denied or unanswered: the
// provider-shaped 429 the `deny` limit answers with, naming who or what said no.

import type http from 'node:http';
import type { RequestFacts } from '../api/index.ts';
import type { BudgetHoldView } from '../api/spend.ts';
import { suggestRule } from '../policy/index.ts';
import type { ProviderRefusal } from '../spend/index.ts';
import type { ProxyServices, SandboxContext } from './context.ts';
import type { Allowed, VerdictFacts } from './decide.ts';
import type { ExchangeRecord } from './record.ts';

export type HoldAnswer = { allowed: true; verdict: Allowed } | { allowed: false; verdict: VerdictFacts };

export async function holdOverBudget(
  svc: ProxyServices,
  sandbox: SandboxContext,
  facts: RequestFacts,
  hold: { view: BudgetHoldView; refusal: ProviderRefusal },
  allowed: Allowed,
  signal: AbortSignal,
): Promise<HoldAnswer> {
  const outcome = await svc.approvals.request({
    identity: sandbox.identity,
    facts,
    reason: hold.refusal.reason,
    rule: null,
    suggestedRule: suggestRule(facts),
    timeoutSeconds: sandbox.policy().approvalTimeoutSeconds,
    signal,
    budget: hold.view,
  });
  const base = { rule: null, approvalId: outcome.approvalId, decidedBy: 'approval' as const };
  if (outcome.kind === 'answered' && outcome.decision === 'allow') {
    const reason = `${outcome.by} allowed it over the budget (once): ${hold.refusal.reason}`;
    return { allowed: true, verdict: { ...allowed, ...base, outcome: 'allowed', reason } };
  }
  if (outcome.kind === 'answered') {
    return {
      allowed: false,
      verdict: { ...base, outcome: 'denied', reason: `${outcome.by} denied it: ${hold.refusal.reason}` },
    };
  }
  if (outcome.kind === 'expired') {
    const reason = `approval timed out: nobody answered within ${outcome.timeoutSeconds} s (${hold.refusal.reason})`;
    return { allowed: false, verdict: { ...base, outcome: 'timed_out', reason } };
  }
  return { allowed: false, verdict: { ...base, outcome: 'error', reason: outcome.reason } };
}

/** A model API request refused in its provider's error shape (a budget used up: 429; a redaction block: 400). */
export function refuseOverBudget(
  res: http.ServerResponse,
  record: ExchangeRecord,
  refusal: Omit<ProviderRefusal, 'status'> & { status: number },
  verdict: VerdictFacts = { outcome: 'denied', rule: null, reason: refusal.reason, decidedBy: 'proxy' },
): void {
  record.status = refusal.status;
  if (res.writable && !res.headersSent) {
    res.writeHead(refusal.status, refusal.headers);
    res.end(refusal.body);
  } else if (res.headersSent) res.destroy(); // refused mid-answer (a redaction block): cut it
  record.finish(verdict);
}
