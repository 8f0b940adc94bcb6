// MCP governance from the attacker's side: an agent that mixes denied calls into batches,
// sends huge or malformed bodies, odd tool names and duplicate keys; a server that shows
// tools the policy denies, smuggles lists into other answers, never ends an event, or
// never ends its stream. Nothing denied reaches the server or the agent, and the proxy's
// memory stays bounded.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ProxyAgent } from 'undici';
import { fetch as undiciFetch } from 'undici';
import { MAX_MCP_BATCH, MAX_MCP_REQUEST_BYTES } from '../../supervisor/mcp/index.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { type HostileMcpServer, startHostileMcpServer } from '../support/hostile-mcp-server.ts';
import { proxyAgent, rawPost } from '../support/mcp-client.ts';

const POLICY = `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: hostile-mcp
spec:
  network:
    default: deny
    rules:
      - match: mcp.test
        action: allow
      - match: 127.0.0.1
        action: allow
  mcp:
    servers:
      - match: mcp.test
        name: liar
        default: deny
        tools:
          - name: read_*
            action: allow
          - name: delete_*
            action: deny
`;

let server: HostileMcpServer;
let d: TestDaemon;
let agent: ProxyAgent;
const url = (path: string) => `http://mcp.test:${server.port}${path}`;
const call = (id: number | string, name: string) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name },
});
const receivedAt = (path: string) => server.received.filter((r) => r.path === path).map((r) => r.body);

before(async () => {
  server = await startHostileMcpServer();
  d = await startTestDaemon({ upstreamCa: [server.caPem], resolve: { 'mcp.test': '127.0.0.1' } });
  const { env } = await d.listener(POLICY);
  agent = proxyAgent(env.HTTPS_PROXY as string, d.daemon.ca.certPem);
});
after(async () => {
  await agent.close();
  await d.stop();
  await server.close();
});

for (const path of ['/json', '/sse']) {
  test(`a batch mixing allowed and denied calls: only the allowed reach the server (${path})`, async () => {
    const before = receivedAt(path).length;
    const batch = [call(1, 'read_file'), call(2, 'delete_all'), call(3, 'read_x'), call('4', 'delete_me')];
    const r = await rawPost(agent, url(path), JSON.stringify(batch));
    assert.equal(r.status, 200, r.text);
    const sent = receivedAt(path).slice(before);
    assert.equal(sent.length, 1);
    assert.deepEqual(
      (JSON.parse(sent[0] as string) as Array<{ id: number }>).map((m) => m.id),
      [1, 3],
    );
    const byId = new Map(
      r.messages().map((m) => [String((m as { id: unknown }).id), m as Record<string, unknown>]),
    );
    assert.deepEqual([...byId.keys()].sort(), ['1', '2', '3', '4']);
    assert.ok(byId.get('2')?.error && byId.get('4')?.error);
    // The server's answers to allowed calls smuggled a tools list in: it is filtered too.
    assert.ok(!r.text.includes('"name":"delete_all"'), r.text);
  });

  test(`a server that shows a denied tool in tools/list: it is hidden, and calling it is still denied (${path})`, async () => {
    const list = await rawPost(
      agent,
      url(path),
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    );
    const tools = (list.messages()[0] as { result: { tools: Array<{ name: string }> } }).result.tools;
    assert.deepEqual(
      tools.map((t) => t.name),
      ['read_file'],
    );
    // The tool result tells the agent to call the hidden tool; it does, and is refused by name.
    const before = receivedAt(path).length;
    const r = await rawPost(agent, url(path), JSON.stringify(call(8, 'delete_all')));
    assert.equal(r.status, 200);
    const error = (r.messages()[0] as { id: number; error: { code: number; message: string } }).error;
    assert.equal(error.code, -32001);
    assert.match(error.message, /delete_all/);
    assert.equal(receivedAt(path).length, before, 'nothing was forwarded');
  });
}

test('a huge batch and a huge body are refused with a JSON-RPC error, nothing forwarded', async () => {
  const before = server.received.length;
  const many = Array.from({ length: MAX_MCP_BATCH + 1 }, (_, i) => call(i, 'read_file'));
  const r = await rawPost(agent, url('/json'), JSON.stringify(many));
  assert.equal(r.status, 400);
  assert.equal((r.messages()[0] as { error: { code: number } }).error.code, -32600);
  const big = JSON.stringify({
    ...call(1, 'read_file'),
    params: { name: 'read_file', arguments: { t: 'x'.repeat(MAX_MCP_REQUEST_BYTES) } },
  });
  const r2 = await rawPost(agent, url('/json'), big);
  assert.equal(r2.status, 413);
  assert.match((r2.messages()[0] as { error: { message: string } }).error.message, /larger than/);
  assert.equal(server.received.length, before);
});

test('malformed bodies are refused with a JSON-RPC error, not passed through', async () => {
  const before = server.received.length;
  const bodies = [
    'not json',
    '{"jsonrpc":"1.0","id":1,"method":"tools/call","params":{"name":"read_file"}}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","result":{}}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"read_file"}',
    '[]',
    '[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file"}},"x"]',
  ];
  for (const body of bodies) {
    const r = await rawPost(agent, url('/json'), body);
    assert.equal(r.status, 400, body);
    const m = r.messages()[0] as { jsonrpc: string; id: unknown; error: { code: number } };
    assert.equal(m.jsonrpc, '2.0');
    assert.equal(m.id, null);
    assert.ok([-32700, -32600].includes(m.error.code), body);
  }
  assert.equal(server.received.length, before);
});

test('odd tool names: control and invisible characters, long names, glob characters, case', async () => {
  const before = receivedAt('/json').length;
  for (const name of [
    'read_file\u0000',
    'read\u200b_file',
    'read_\u202efile',
    `read_${'a'.repeat(2000)}`,
    'DELETE_all',
    'delete_*',
  ]) {
    const r = await rawPost(agent, url('/json'), JSON.stringify(call(1, name)));
    assert.equal(r.status, 200);
    const m = r.messages()[0] as { id: number; error?: { code: number; message: string } };
    assert.ok(m.error, `${JSON.stringify(name).slice(0, 40)} was let through`);
    assert.equal(m.id, 1);
  }
  assert.equal(receivedAt('/json').length, before, 'none reached the server');
  // A name that merely contains glob characters is matched literally: "read_*" is a read_ tool.
  const ok = await rawPost(agent, url('/json'), JSON.stringify(call(2, 'read_*')));
  assert.ok((ok.messages()[0] as { result?: unknown }).result);
});

test('duplicate keys: the server reads exactly the name that was decided', async () => {
  const sneaky =
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","name":"delete_all"}}';
  const r = await rawPost(agent, url('/json'), sneaky);
  assert.ok(
    (r.messages()[0] as { error?: unknown }).error,
    'decided on the last key, as JSON.parse reads it',
  );
  const before = receivedAt('/json').length;
  const other =
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete_all","name":"read_file"}}';
  await rawPost(agent, url('/json'), other);
  const got = receivedAt('/json').slice(before);
  assert.equal(got.length, 1);
  assert.ok(!got[0]?.includes('delete_all'), got[0]);
});

test('a compressed request body or an answer that is not what it says is refused', async () => {
  const r = await undiciFetch(url('/json'), {
    method: 'POST',
    body: JSON.stringify(call(1, 'read_file')),
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    dispatcher: agent,
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(r.status, 400);
  await r.text();
  const bad = await rawPost(agent, url('/not-json'), JSON.stringify(call(1, 'read_file')));
  assert.equal(bad.status, 502);
  assert.ok(!bad.text.includes('delete_all'));
});

test('an event that never ends is cut at the bound; the listener keeps serving', async () => {
  const started = Date.now();
  const r = await undiciFetch(url('/endless'), {
    method: 'POST',
    body: JSON.stringify(call(1, 'read_file')),
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    dispatcher: agent,
    signal: AbortSignal.timeout(20_000),
  });
  assert.equal(r.status, 200);
  let got = 0;
  await assert.rejects(async () => {
    for await (const chunk of r.body as AsyncIterable<Uint8Array>) got += chunk.length;
  });
  assert.equal(got, 0, 'no byte of the unfinished event reached the agent');
  assert.ok(Date.now() - started < 20_000);
  await until('the server saw its stream closed', () => server.closed.includes('/endless'), 10_000);
  const ok = await rawPost(agent, url('/json'), JSON.stringify(call(3, 'read_file')));
  assert.equal(ok.status, 200);
});

test('a stream that never ends: keep-alives flow, and the server is let go when the agent leaves', async () => {
  const aborter = new AbortController();
  const r = await undiciFetch(url('/forever'), {
    method: 'POST',
    body: JSON.stringify(call(1, 'read_file')),
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    dispatcher: agent,
    signal: aborter.signal,
  });
  const reader = (r.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  while (!text.includes('keep-alive\n\n:')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
  }
  assert.match(text, /^: keep-alive\n\n/);
  aborter.abort();
  await until('the server saw its stream closed', () => server.closed.includes('/forever'), 10_000);
});

test('secrets: a placeholder in tool arguments bound elsewhere is stopped; an echoed value is redacted', async (t) => {
  const VALUE = 'real-mcp-secret-value-6620';
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'MCP_KEY' },
    body: { value: VALUE, hosts: ['mcp.test'], inject: 'bearer' },
  });
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'OTHER_KEY' },
    body: { value: 'other-secret-value-1188', hosts: ['other.test'], inject: 'bearer' },
  });
  const { env } = await d.listener(POLICY, { secrets: ['MCP_KEY', 'OTHER_KEY'] });
  const a = proxyAgent(env.HTTPS_PROXY as string, d.daemon.ca.certPem);
  t.after(() => a.close());
  const before = receivedAt('/json').length;
  const leak = { ...call(1, 'read_file'), params: { name: 'read_file', arguments: { text: env.OTHER_KEY } } };
  const stopped = await undiciFetch(url('/json'), {
    method: 'POST',
    body: JSON.stringify(leak),
    headers: { 'content-type': 'application/json' },
    dispatcher: a,
    signal: AbortSignal.timeout(5000),
  });
  assert.equal(stopped.status, 403);
  await stopped.text();
  assert.equal(receivedAt('/json').length, before, 'the placeholder never left');
  for (const path of ['/json', '/sse']) {
    const r = await undiciFetch(`https://mcp.test:${server.httpsPort}${path}`, {
      method: 'POST',
      body: JSON.stringify(call(2, 'read_file')),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.MCP_KEY}` },
      dispatcher: a,
      signal: AbortSignal.timeout(5000),
    });
    const text = await r.text();
    assert.equal(r.status, 200, text);
    assert.ok(!text.includes(VALUE), `${path}: the echoed value reached the agent`);
    assert.match(text, /for Bearer \*{26}/, `${path}: redacted in place`);
    assert.ok(server.received.at(-1)?.body.includes('read_file'));
  }
});

test('a passthrough network rule for the MCP host does not leave its tunnel unread', async (t) => {
  const { env } = await d.listener(
    POLICY.replace(
      '      - match: mcp.test\n        action: allow',
      '      - match: mcp.test\n        action: allow\n        tls: passthrough',
    ),
  );
  const a = proxyAgent(env.HTTPS_PROXY as string, d.daemon.ca.certPem);
  t.after(() => a.close());
  const before = receivedAt('/json').length;
  const r = await rawPost(
    a,
    `https://mcp.test:${server.httpsPort}/json`,
    JSON.stringify(call(5, 'delete_all')),
  );
  assert.equal(r.status, 200);
  assert.equal((r.messages()[0] as { error: { code: number } }).error.code, -32001);
  assert.equal(receivedAt('/json').length, before);
});

test('an ask nobody answers times out into a JSON-RPC error; nothing is forwarded', async (t) => {
  const policy = `${POLICY.replace('        default: deny\n', '        default: ask\n')}  approvals:\n    timeoutSeconds: 1\n`;
  const { env, listener } = await d.listener(policy);
  const a = proxyAgent(env.HTTPS_PROXY as string, d.daemon.ca.certPem);
  t.after(() => a.close());
  const before = receivedAt('/json').length;
  const r = await rawPost(a, url('/json'), JSON.stringify(call(9, 'unlisted_tool')));
  assert.equal(r.status, 200);
  const m = r.messages()[0] as {
    id: number;
    error: { code: number; message: string; data: { warden: { outcome: string } } };
  };
  assert.equal(m.id, 9);
  assert.match(m.error.message, /held and not answered.*timed out/);
  assert.equal(m.error.data.warden.outcome, 'timed_out');
  assert.equal(receivedAt('/json').length, before);
  const recorded = d.events.find(
    (e) => e.type === 'mcp.call' && e.sandboxId === listener.sandboxId && e.name === 'unlisted_tool',
  );
  assert.equal(recorded?.type === 'mcp.call' && recorded.outcome, 'timed_out');
});
