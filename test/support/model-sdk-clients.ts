// The official Anthropic and OpenAI SDKs as an agent would hold them: their fetch goes
// through a Warden listener (its credential in the proxy URL), trusting Warden's CA, to the
// spend stand-in (model-spend-stubs.ts) at `https://models.test:PORT`. No retries, so a
// refusal reaches the test as the SDK's own error.

import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ProxyAgent, fetch as undiciFetch } from 'undici';

/** A fetch through the listener at `proxyUrl`, trusting the daemon's CA (`caPem`). */
export function proxiedFetch(proxyUrl: string, caPem: string): typeof fetch {
  const dispatcher = new ProxyAgent({ uri: proxyUrl, requestTls: { ca: caPem } });
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}

export function modelSdks(
  proxyUrl: string,
  caPem: string,
  stubPort: number,
): { anthropic: Anthropic; openai: OpenAI } {
  const f = proxiedFetch(proxyUrl, caPem);
  const base = `https://models.test:${stubPort}`;
  return {
    anthropic: new Anthropic({ apiKey: 'sk-ant-test', baseURL: base, fetch: f, maxRetries: 0 }),
    openai: new OpenAI({ apiKey: 'sk-test', baseURL: `${base}/v1`, fetch: f, maxRetries: 0 }),
  };
}
