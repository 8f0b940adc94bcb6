// spec.mcp decisions, the JSON-RPC errors of refused calls and the filtering of lists.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doc, req } from '../../test/support/policy.ts';
import type { McpServerSpec } from '../api/mcp-schema.ts';
import { parsePolicy } from '../policy/index.ts';
import { Policy } from '../policy/policy.ts';
import { filterServerMessage, governRequest, type McpAsker } from './govern.ts';
import { parseBody, RPC } from './jsonrpc.ts';
import { mcpServersOf } from './servers.ts';

function policyWith(
  servers: McpServerSpec[],
  layer: 'project' | 'base' = 'project',
  more: McpServerSpec[] = [],
) {
  const d = doc([]);
  d.spec.mcp = { servers };
  const layers = [{ layer, source: './p.yaml', document: d }];
  if (more.length > 0) {
    const b = doc([]);
    b.spec.mcp = { servers: more };
    layers.push({ layer: 'base', source: '/etc/base.yaml', document: b });
  }
  return Policy.resolve(layers);
}

const server = {
  match: 'mcp.test',
  path: '/mcp',
  name: 'files',
  tools: [
    { name: 'read_*', action: 'allow' as const },
    { name: 'delete_*', action: 'deny' as const, description: 'never delete' },
    { name: 'write?', action: 'ask' as const },
  ],
  resources: [{ uri: 'file:///repo/**', action: 'allow' as const }],
  prompts: [{ name: 'secret*', action: 'deny' as const }],
  default: 'deny' as const,
};

test('a request is an MCP one only at the named host and path', () => {
  const servers = mcpServersOf(policyWith([server]));
  assert.ok(servers.serverFor(req('http://mcp.test/mcp', 'POST')));
  assert.equal(servers.serverFor(req('http://mcp.test/other', 'POST')), undefined);
  assert.equal(servers.serverFor(req('http://other.test/mcp', 'POST')), undefined);
  assert.ok(servers.namesHost('mcp.test', 443));
  assert.ok(!servers.namesHost('other.test', 443));
  assert.equal(mcpServersOf(policyWith([server])).serverFor(req('http://mcp.test/mcp'))?.name, 'files');
});

test('the first matching rule decides, then the default; globs are literal about the name', () => {
  const s = mcpServersOf(policyWith([server])).serverFor(req('http://mcp.test/mcp', 'POST'));
  assert.ok(s);
  assert.equal(s.decide('tools/call', 'read_file').action, 'allow');
  assert.equal(s.decide('tools/call', 'delete_all').action, 'deny');
  assert.match(s.decide('tools/call', 'delete_all').reason, /never delete/);
  assert.equal(s.decide('tools/call', 'write1').action, 'ask');
  assert.equal(s.decide('tools/call', 'write12').action, 'deny');
  assert.equal(s.decide('tools/call', 'Delete_all').action, 'deny', 'no rule: the default');
  assert.equal(s.decide('tools/call', 'read_*').action, 'allow');
  assert.equal(s.decide('resources/read', 'file:///repo/a/b.txt').action, 'allow');
  assert.equal(s.decide('resources/read', 'file:///etc/passwd').action, 'deny');
  assert.equal(s.decide('prompts/get', 'secrets').action, 'deny');
  assert.equal(s.decide('tools/call', 'other').rule?.list, undefined);
});

test('a project entry is consulted before a base one; the built-in default is ask', () => {
  const p = policyWith([{ match: 'mcp.test', tools: [{ name: 'x', action: 'allow' }] }], 'project', [
    { match: 'mcp.test', tools: [{ name: '*', action: 'deny' }] },
  ]);
  const s = mcpServersOf(p).serverFor(req('http://mcp.test/any', 'POST'));
  assert.equal(s?.decide('tools/call', 'x').action, 'allow');
  assert.equal(s?.decide('tools/call', 'y').rule?.layer, 'base');
  const bare = mcpServersOf(policyWith([{ match: 'mcp.test' }])).serverFor(req('http://mcp.test/', 'POST'));
  assert.equal(bare?.decide('tools/call', 'y').action, 'ask');
  assert.equal(bare?.name, 'mcp.test/');
});

test('a batch: allowed calls go on, refused ones get errors under their ids, asks are held', async () => {
  const s = mcpServersOf(policyWith([server])).serverFor(req('http://mcp.test/mcp', 'POST'));
  assert.ok(s);
  const parsed = parseBody(
    Buffer.from(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'read_file', arguments: { p: 'a' } } },
        { jsonrpc: '2.0', id: 'two', method: 'tools/call', params: { name: 'delete_all' } },
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'write1', arguments: { t: 'x' } } },
        { jsonrpc: '2.0', id: 4, method: 'tools/list' },
        { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9 } },
      ]),
    ),
  );
  assert.ok(parsed.ok);
  const asked: string[] = [];
  const ask: McpAsker = async (call, decision) => {
    asked.push(call.name);
    return {
      allowed: false,
      outcome: 'denied',
      rule: decision.rule,
      reason: 'tester denied it',
      decidedBy: 'approval',
    };
  };
  const g = await governRequest(s, parsed.messages, ask);
  assert.deepEqual(asked, ['write1']);
  assert.deepEqual(
    g.forward.map((m) => m.id ?? m.method),
    [1, 4, 'notifications/cancelled'],
  );
  assert.deepEqual(
    g.refusals.map((r) => r.id),
    ['two', 3],
  );
  const err = g.refusals[0]?.error as { code: number; message: string };
  assert.equal(err.code, RPC.refused);
  assert.match(err.message, /delete_all.*files.*never delete/);
  assert.deepEqual(
    g.calls.map((c) => [c.call.name, c.verdict.outcome, c.call.argumentBytes]),
    [
      ['read_file', 'allowed', 9],
      ['delete_all', 'denied', 0],
      ['write1', 'denied', 9],
    ],
  );
});

test('list answers lose what is denied, whatever request they claim to answer', () => {
  const s = mcpServersOf(policyWith([server])).serverFor(req('http://mcp.test/mcp', 'POST'));
  assert.ok(s);
  const answer = {
    jsonrpc: '2.0',
    id: 99,
    result: {
      tools: [
        { name: 'read_file' },
        { name: 'delete_all' },
        { name: 'write1' },
        { nameless: true },
        { name: 'r\u200bead' },
      ],
      prompts: [{ name: 'secrets' }, { name: 'hello' }],
      resources: [{ uri: 'file:///repo/a' }, { uri: 'file:///etc/shadow' }],
      nextCursor: 'c',
    },
  };
  const r = filterServerMessage(s, answer);
  const result = (r.message as { result: Record<string, Array<Record<string, string>>> }).result;
  assert.deepEqual(
    result.tools?.map((t) => t.name),
    ['read_file', 'write1'],
  );
  assert.deepEqual(
    result.prompts?.map((t) => t.name),
    [],
    'hello is denied by the server default',
  );
  assert.deepEqual(
    result.resources?.map((t) => t.uri),
    ['file:///repo/a'],
  );
  assert.equal(r.hidden, 6);
  assert.equal(answer.result.tools.length, 5, 'the original is not changed');
});

test('a policy with a bad server match or path is refused at parse time', () => {
  const text = [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata: { name: t }',
    'spec:',
    '  mcp:',
    '    servers:',
    '      - match: "bad host!"',
    '        path: /a/../b',
    '        tools: [{ name: "x", action: allow }]',
    '',
  ].join('\n');
  const r = parsePolicy(text, 'p.yaml');
  assert.ok(!r.ok);
  assert.deepEqual(
    r.errors.map((e) => e.path),
    ['spec.mcp.servers[0].match', 'spec.mcp.servers[0].path'],
  );
});
