// The organisation's package floors, reviewer hook and model prices as conflicts: a lower
// layer that relaxes them is listed as ignored (and an edit is refused with the reason); one
// that narrows them (or sets what the organisation left alone) is not.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LayerName } from '../api/policy-types.ts';
import { refuseWeakening } from './organisation.ts';
import { parsePolicy } from './parse.ts';
import { Policy, type PolicyLayer } from './policy.ts';

function layer(name: LayerName, spec: string): PolicyLayer {
  const parsed = parsePolicy(
    `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: { name: ${name} }\nspec:\n${spec}`,
    name,
  );
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return { layer: name, source: `./${name}.yaml`, document: parsed.document };
}

const ORG = layer(
  'organisation',
  [
    '  approvals: { reviewer: { command: ["/usr/local/bin/org-review"] } }',
    '  budgets:',
    '    limits: [{ per: day, usd: 5 }]',
    '    prices: [{ model: in-house, input: 4, output: 8 }]',
    '  packages:',
    '    npm: { minReleaseAgeDays: 7, installScripts: ask, provenance: require, firstSeen: ask, approver: it }',
    '',
  ].join('\n'),
);

test('a lower layer relaxing the package floors, the reviewer or a price is ignored, with why', () => {
  const project = layer(
    'project',
    [
      '  approvals: { reviewer: { command: ["./approve-all"] } }',
      '  budgets: { prices: [{ model: in-house-7b, input: 0, output: 8 }, { model: gpt-4o, input: 0, output: 0 }] }',
      '  packages:',
      '    npm: { minReleaseAgeDays: 0, installScripts: allow, provenance: prefer, firstSeen: allow }',
      '',
    ].join('\n'),
  );
  const ignored = Policy.resolve([ORG, project]).view().organisation?.ignored ?? [];
  assert.deepEqual(
    ignored.map((c) => c.path),
    [
      'spec.packages.npm.minReleaseAgeDays',
      'spec.packages.npm.installScripts',
      'spec.packages.npm.provenance',
      'spec.packages.npm.firstSeen',
      'spec.approvals.reviewer',
      'spec.budgets.prices[0]',
    ],
    'gpt-4o has no organisation price: not listed (the table still floors it)',
  );
  assert.ok(ignored.every((c) => c.layer === 'project' && c.source === './project.yaml'));
  const byPath = new Map(ignored.map((c) => [c.path, c]));
  assert.match(
    byPath.get('spec.packages.npm.minReleaseAgeDays')!.message,
    /0 days old .* organisation's 7 days/,
  );
  assert.equal(
    byPath.get('spec.packages.npm.installScripts')!.organisationRule,
    'spec.packages.npm.installScripts: ask of the organisation policy ./organisation.yaml',
  );
  assert.match(
    byPath.get('spec.budgets.prices[0]')!.message,
    /the input, cacheRead, cacheWrite price of "in-house-7b" is below/,
  );
  const refusal = refuseWeakening(ignored, 'the project policy edit (./project.yaml)');
  assert.equal(refusal.name, 'PolicyLockedByOrganisation');
  assert.match(refusal.message, /minReleaseAgeDays: versions 0 days old .* \(and 5 more\)/);
});

test('a lower layer that narrows the organisation, or sets what it left alone, is not listed', () => {
  const project = layer(
    'project',
    [
      '  budgets: { prices: [{ model: in-house, input: 5, output: 9 }, { model: other, input: 0, output: 0 }] }',
      '  packages:',
      '    npm: { minReleaseAgeDays: 14, installScripts: deny, provenance: require, firstSeen: ask, registries: [npm.corp] }',
      '',
    ].join('\n'),
  );
  assert.deepEqual(Policy.resolve([ORG, project]).view().organisation?.ignored, []);
  // Without an organisation layer nothing is a conflict.
  assert.equal(Policy.resolve([project]).view().organisation, undefined);
});

test('the view names what else the organisation fixed, the hook by its program only', () => {
  const org = layer(
    'organisation',
    [
      '  network:',
      '    rules: [{ match: uploads.test, action: ask, approver: it }, { match: evil.test, action: deny }]',
      '  mcp:',
      '    servers: [{ match: mcp.test, tools: [{ name: deploy, action: ask, approver: it }, { name: "*", action: allow }] }]',
      '  approvals: { reviewer: { command: ["/opt/acme/review", "--token=s3cret"] } }',
      '  budgets: { limits: [{ per: day, usd: 5 }, { per: month, tokens: 1000, action: ask }], prices: [{ model: m, input: 1, output: 1 }] }',
      '  redact: { rules: [{ detector: email, action: mask }] }',
      '  packages:',
      '    npm: { minReleaseAgeDays: 7, installScripts: ask, deny: [{ name: evil }], approver: it }',
      '',
    ].join('\n'),
  );
  assert.deepEqual(Policy.resolve([org]).view().organisation?.settings, [
    '1 network rule sent to IT on the team hub',
    'MCP: 1 server, 2 rules (1 sent to IT) that lower rules cannot relax',
    'npm packages: versions at least 7 days old, install scripts ask, 1 deny entry, its asks answered by IT on the team hub',
    'the reviewer hook review answers approvals first',
    'model spend at most $5 per day per sandbox (then deny)',
    'model spend at most 1000 tokens per month per sandbox (then ask)',
    '1 model price (a floor)',
    'redaction: 1 rule, held whatever lower layers say',
  ]);
  assert.equal(
    Policy.resolve([ORG]).view().organisation?.settings?.[0],
    'npm packages: versions at least 7 days old, install scripts ask, provenance required, a package never fetched before is asked about, its asks answered by IT on the team hub',
  );
});
