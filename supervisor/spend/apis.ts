// Which model API a request is: the published paths of Anthropic's Messages API and
// OpenAI's Chat Completions and Responses APIs, on a model API host (the providers' own
// hosts, and the ones the policy names in `spec.budgets.hosts`).

import type { ModelApi } from '../api/spend.ts';

export const MODEL_API_HOSTS: readonly string[] = ['api.anthropic.com', 'api.openai.com'];

/** The API a POST to `path` on a model API host is, if it is one whose answer carries usage. */
export function modelApiOf(method: string, path: string): ModelApi | undefined {
  if (method.toUpperCase() !== 'POST') return undefined;
  const bare = (path.split('?')[0] ?? '').replace(/\/+$/, '');
  if (bare === '/v1/messages') return 'anthropic.messages';
  if (bare.endsWith('/chat/completions')) return 'openai.chat';
  if (bare.endsWith('/responses')) return 'openai.responses';
  return undefined;
}

export function providerOf(api: ModelApi): 'anthropic' | 'openai' {
  return api === 'anthropic.messages' ? 'anthropic' : 'openai';
}
