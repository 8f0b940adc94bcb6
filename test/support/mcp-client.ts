// The official MCP SDK's client going through a Warden listener: its streamable HTTP
// transport with undici's fetch and ProxyAgent (forward for http://, a CONNECT tunnel
// trusting Warden's CA for https://), and raw JSON-RPC posts for what the SDK never sends
// (batches, malformed bodies).

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ProxyAgent, fetch as undiciFetch } from 'undici';

export interface ProxiedMcp {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

export function proxyAgent(proxyUrl: string, wardenCaPem: string): ProxyAgent {
  return new ProxyAgent({ uri: proxyUrl, requestTls: { ca: [wardenCaPem] } });
}

export function proxiedFetch(agent: ProxyAgent) {
  return ((url: string | URL, init?: RequestInit) =>
    undiciFetch(url, { ...(init as object), dispatcher: agent } as Parameters<
      typeof undiciFetch
    >[1])) as unknown as typeof fetch;
}

/** An SDK client connected (initialized) to `url` through the proxy. */
export async function connectThrough(
  url: string,
  proxyUrl: string,
  wardenCaPem: string,
): Promise<ProxiedMcp> {
  const agent = proxyAgent(proxyUrl, wardenCaPem);
  const transport = new StreamableHTTPClientTransport(new URL(url), { fetch: proxiedFetch(agent) });
  const client = new Client({ name: 'warden-test-client', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    transport,
    async close() {
      await client.close().catch(() => {});
      await agent.close();
    },
  };
}

/** The JSON-RPC messages of an answer, whether JSON or an event stream. */
export function messagesOf(contentType: string, text: string): unknown[] {
  if (contentType.includes('text/event-stream')) {
    return text
      .split(/\r?\n\r?\n/)
      .map((block) =>
        block
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n'),
      )
      .filter((d) => d.trim() !== '')
      .map((d) => JSON.parse(d) as unknown);
  }
  if (text.trim() === '') return [];
  const v = JSON.parse(text) as unknown;
  return Array.isArray(v) ? v : [v];
}

/** POST raw JSON-RPC text to an MCP endpoint through the proxy, in an existing session. */
export async function rawPost(
  agent: ProxyAgent,
  url: string,
  body: string,
  session?: { id?: string; protocolVersion?: string },
  timeoutMs = 10_000,
): Promise<{ status: number; contentType: string; text: string; messages: () => unknown[] }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (session?.id) headers['mcp-session-id'] = session.id;
  if (session?.protocolVersion) headers['mcp-protocol-version'] = session.protocolVersion;
  const r = await undiciFetch(url, {
    method: 'POST',
    body,
    headers,
    dispatcher: agent,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await r.text();
  const contentType = r.headers.get('content-type') ?? '';
  return { status: r.status, contentType, text, messages: () => messagesOf(contentType, text) };
}
