// A request body refused by a `block` rule, in the provider's own error shape so the agent's
// SDK raises its invalid-request error and the agent can report it: Anthropic's
// `{"type":"error","error":{"type":"invalid_request_error",…}}` and OpenAI's
// `{"error":{"message":…,"type":"invalid_request_error",…}}`, status 400. It names the
// rule that matched, never what it matched.

import { type ProviderRefusal, providerRefusal } from '../spend/index.ts';

export function redactionRefusal(
  provider: 'anthropic' | 'openai',
  kind: string,
): Omit<ProviderRefusal, 'status'> & { status: 400 } {
  const reason = `the request body carries what the redaction rule "${kind}" blocks (spec.redact); remove it from the prompt, or ask the policy's owner to mask it instead`;
  return providerRefusal(provider, 400, reason, {
    anthropicType: 'invalid_request_error',
    openaiType: 'invalid_request_error',
    code: 'warden_redaction_blocked',
    decision: 'redaction',
  });
}
