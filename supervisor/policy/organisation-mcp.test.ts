// The organisation's spec.mcp rules as conflicts: a lower rule or default for the same server
// that the organisation decides more strictly is listed as ignored (and refused as an edit),
// naming the organisation's rule; narrowing, another server or an unrelated tool is not.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LayerName } from '../api/policy-types.ts';
import { refuseWeakening } from './organisation.ts';
import { parsePolicy } from './parse.ts';
import { Policy, type PolicyLayer } from './policy.ts';

function layer(name: LayerName, servers: string): PolicyLayer {
  const text = `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: { name: ${name} }\nspec:\n  mcp:\n    servers:\n${servers}`;
  const parsed = parsePolicy(text, name);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return { layer: name, source: `./${name}.yaml`, document: parsed.document };
}

const ORG = layer(
  'organisation',
  [
    '      - match: mcp.corp.test',
    '        default: ask',
    '        tools:',
    '          - { name: "deploy_*", action: ask, approver: it }',
    '          - { name: drop_database, action: deny }',
    '        resources:',
    '          - { uri: "file:///secrets/**", action: deny }',
    '',
  ].join('\n'),
);

test("a lower rule or default the organisation's MCP rules decide more strictly is ignored, with why", () => {
  const project = layer(
    'project',
    [
      '      - match: MCP.corp.test',
      '        default: allow',
      '        tools:',
      '          - { name: "deploy_prod", action: allow }',
      '          - { name: drop_database, action: ask }',
      '          - { name: read_file, action: allow }',
      '        resources:',
      '          - { uri: "file:///secrets/*", action: allow }',
      '      - match: other.test',
      '        tools: [{ name: drop_database, action: allow }]',
      '',
    ].join('\n'),
  );
  const ignored = Policy.resolve([ORG, project]).view().organisation?.ignored ?? [];
  assert.deepEqual(
    ignored.map((c) => c.path),
    [
      'spec.mcp.servers[0].default',
      'spec.mcp.servers[0].tools[0]',
      'spec.mcp.servers[0].tools[1]',
      'spec.mcp.servers[0].resources[0]',
    ],
  );
  const deploy = ignored[1]!;
  assert.equal(
    deploy.organisationRule,
    'spec.mcp tools[1] "deploy_*" of server 1 of the organisation policy ./organisation.yaml',
  );
  assert.match(
    deploy.message,
    /tools rule "deploy_prod" \(allow\) .* would allow what the organisation sends to a human/,
  );
  assert.match(ignored[2]!.message, /"drop_database" \(ask\) .* what the organisation denies/);
  const refusal = refuseWeakening(ignored, 'the project policy edit');
  assert.equal(refusal.name, 'PolicyLockedByOrganisation');
  assert.match(refusal.message, /spec\.mcp\.servers\[0\]\.default: the default allow .* \(and 3 more\)/);
});

test('narrowing, a rule that only partly overlaps (the floor still wins there), or another server: no conflict', () => {
  const project = layer(
    'project',
    [
      '      - match: mcp.corp.test',
      '        default: deny',
      '        tools: [{ name: "deploy_*", action: deny }, { name: read_file, action: allow }, { name: "drop_*", action: allow }]',
      '      - match: mcp.corp.test',
      '        path: /other',
      '        tools: [{ name: drop_database, action: allow }]',
      '',
    ].join('\n'),
  );
  assert.deepEqual(Policy.resolve([ORG, project]).view().organisation?.ignored, []);
});
