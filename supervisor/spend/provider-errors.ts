// A budget refusal in the provider's own error shape, so the agent's SDK surfaces it as the
// provider's rate-limit error and the agent reports it: Anthropic's
// `{"type":"error","error":{"type":"rate_limit_error","message":…}}` and OpenAI's
// `{"error":{"message":…,"type":…,"code":…}}`, both with status 429. `x-should-retry: false`
// tells the official SDKs (which retry a 429) not to retry: the budget will not free up.

import type { ModelApi } from '../api/spend.ts';
import { providerOf } from './apis.ts';

export interface ProviderRefusal {
  status: 429;
  headers: Record<string, string>;
  body: string;
  reason: string;
}

export function budgetRefusal(api: ModelApi, reason: string): ProviderRefusal {
  return providerRefusal(providerOf(api), 429, reason, {
    anthropicType: 'rate_limit_error',
    openaiType: 'insufficient_quota',
    code: 'warden_budget_exceeded',
    decision: 'budget',
  });
}

/** Any refusal of Warden's in the provider's own error shape (a budget, a redaction block). */
export function providerRefusal<S extends number>(
  provider: 'anthropic' | 'openai',
  status: S,
  reason: string,
  kind: { anthropicType: string; openaiType: string; code: string; decision: string },
): Omit<ProviderRefusal, 'status'> & { status: S } {
  const message = `Warden: ${reason}`;
  const body =
    provider === 'anthropic'
      ? { type: 'error', error: { type: kind.anthropicType, message } }
      : { error: { message, type: kind.openaiType, param: null, code: kind.code } };
  const text = JSON.stringify(body);
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'x-should-retry': 'false',
      'x-warden-decision': kind.decision,
    },
    body: text,
    reason,
  };
}
