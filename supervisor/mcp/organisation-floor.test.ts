// The organisation's floor on spec.mcp: a lower layer may only narrow what the organisation
// says about a tool, resource or prompt. Its deny and ask win over a lower allow, its IT ask
// stays IT's when a lower layer asks locally, a stricter lower rule still decides, and its
// default is a floor for the lower layers' defaults.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doc, req } from '../../test/support/policy.ts';
import type { McpServerSpec } from '../api/mcp-schema.ts';
import { Policy } from '../policy/policy.ts';
import { mcpServersOf } from './servers.ts';

function withOrg(org: Omit<McpServerSpec, 'match'>, lower: Omit<McpServerSpec, 'match'>) {
  const layer = (name: 'organisation' | 'project', spec: Omit<McpServerSpec, 'match'>) => {
    const d = doc([]);
    d.spec.mcp = { servers: [{ match: 'mcp.test', path: '/mcp', ...spec }] };
    return { layer: name, source: name === 'project' ? './p.yaml' : '/etc/warden/managed.yaml', document: d };
  };
  // The organisation layer first in the list: resolve() orders the layers itself.
  const policy = Policy.resolve([layer('organisation', org), layer('project', lower)]);
  const server = mcpServersOf(policy).serverFor(req('http://mcp.test/mcp', 'POST'));
  assert.ok(server);
  return server;
}

test("the organisation's IT ask stays IT's when a lower layer asks about the same tool itself", () => {
  const s = withOrg(
    { tools: [{ name: 'deploy_*', action: 'ask', approver: 'it', description: 'IT signs off deploys' }] },
    {
      tools: [
        { name: 'deploy_prod', action: 'ask' },
        { name: 'deploy_*', action: 'allow' },
      ],
    },
  );
  for (const tool of ['deploy_prod', 'deploy_staging']) {
    const d = s.decide('tools/call', tool);
    assert.equal(d.action, 'ask', tool);
    assert.equal(d.rule?.layer, 'organisation', tool);
    assert.equal(d.rule?.approver, 'it', tool);
    assert.match(d.reason, /IT signs off deploys/);
    assert.match(d.reason, /asks IT on the team hub/);
  }
  assert.match(s.decide('tools/call', 'deploy_prod').reason, /IT answers it, not a lower layer's approver/);
  assert.match(
    s.decide('tools/call', 'deploy_staging').reason,
    /cannot be weakened by spec\.mcp rule tools\[2\]/,
  );
});

test('the same floor holds for prompts and resources; a stricter lower rule still decides', () => {
  const s = withOrg(
    {
      prompts: [{ name: 'release*', action: 'ask', approver: 'it' }],
      resources: [{ uri: 'file:///secrets/**', action: 'ask', approver: 'it' }],
      tools: [{ name: 'rm_*', action: 'deny' }],
    },
    {
      prompts: [{ name: 'release-notes', action: 'ask' }],
      resources: [
        { uri: 'file:///secrets/keys/**', action: 'deny' },
        { uri: 'file:///**', action: 'allow' },
      ],
      tools: [{ name: '*', action: 'allow' }],
      default: 'allow',
    },
  );
  const prompt = s.decide('prompts/get', 'release-notes');
  assert.equal(prompt.rule?.approver, 'it');
  assert.equal(prompt.rule?.layer, 'organisation');
  const resource = s.decide('resources/read', 'file:///secrets/db.txt');
  assert.equal(resource.rule?.approver, 'it');
  // A lower layer may narrow: its deny is stricter than the organisation's ask.
  const narrowed = s.decide('resources/read', 'file:///secrets/keys/id_rsa');
  assert.equal(narrowed.action, 'deny');
  assert.equal(narrowed.rule?.layer, 'project');
  // What the organisation does not name stays the lower layers' to decide.
  assert.equal(s.decide('resources/read', 'file:///repo/a.ts').action, 'allow');
  assert.equal(s.decide('tools/call', 'rm_rf').action, 'deny');
  assert.equal(s.decide('tools/call', 'rm_rf').rule?.layer, 'organisation');
  assert.equal(s.shows('tools', 'rm_rf'), false, 'a tool the organisation denies is hidden from lists');
  assert.equal(s.decide('tools/call', 'ls').action, 'allow');
});

test("a lower default cannot be more permissive than the organisation's default", () => {
  const s = withOrg({ default: 'deny' }, { default: 'allow', tools: [{ name: 'read', action: 'allow' }] });
  const d = s.decide('tools/call', 'write');
  assert.equal(d.action, 'deny');
  assert.match(d.reason, /default of MCP server 1 in the organisation layer/);
  assert.equal(s.decide('tools/call', 'read').action, 'allow', 'a lower rule still narrows the default');
  const narrower = withOrg({ default: 'ask' }, { default: 'deny' });
  assert.equal(narrower.decide('tools/call', 'x').action, 'deny');
  assert.equal(narrower.decide('tools/call', 'x').rule?.layer, 'project');
});
