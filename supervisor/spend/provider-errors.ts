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
  const message = `Warden: ${reason}`;
  const body =
    providerOf(api) === 'anthropic'
      ? { type: 'error', error: { type: 'rate_limit_error', message } }
      : { error: { message, type: 'insufficient_quota', param: null, code: 'warden_budget_exceeded' } };
  const text = JSON.stringify(body);
  return {
    status: 429,
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'x-should-retry': 'false',
      'x-warden-decision': 'budget',
    },
    body: text,
    reason,
  };
}
