// PolicyLayers under an organisation layer: edits that weaken it are refused with the
// organisation rule named (base and project edits, "always" answers and their previews);
// edits that narrow it go through; a new organisation layer re-resolves every sandbox.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { doc } from '../../test/support/policy.ts';
import type { WardenError } from '../api/errors.ts';
import type { PolicyChangedEvent, WardenEvent } from '../api/index.ts';
import type { PolicyLayer } from '../policy/index.ts';
import { PolicyLayers } from './policy-layers.ts';
import { Sandbox } from './sandbox.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'worglayers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ORG: PolicyLayer = {
  layer: 'organisation',
  source: '/etc/warden/managed.yaml',
  document: doc([{ match: 'evil.example', action: 'deny', description: 'exfiltration' }], { default: 'ask' }),
  origin: { kind: 'managed', hash: `sha256:${'00'.repeat(32)}`, signedBy: 'root' },
};

const BASE_WEAKER = [
  'apiVersion: warden.dev/v1',
  'kind: Policy',
  'metadata: { name: weaker }',
  'spec:',
  '  network:',
  '    default: allow',
  '    rules:',
  '      - { match: evil.example, action: allow }',
  '',
].join('\n');

function setUp(name: string, organisation?: PolicyLayer) {
  const events: WardenEvent[] = [];
  const all: Sandbox[] = [];
  const layers = new PolicyLayers({
    sandboxes: { get: () => all[0]!, list: () => all },
    basePath: path.join(dir, `${name}.yaml`),
    ...(organisation ? { organisation } : {}),
    emit: (e) => events.push(e),
  });
  const sandbox = new Sandbox(
    { sandboxId: `${name}-1`, label: name, user: 'tester', kind: 'host', secrets: [], placeholders: {} },
    () => layers.base(),
    () => layers.organisation(),
  );
  all.push(sandbox);
  const changes = () => events.filter((e): e is PolicyChangedEvent => e.type === 'policy.changed');
  return { layers, sandbox, changes };
}

const evil = { scheme: 'https' as const, host: 'evil.example', port: 443, method: 'GET', path: '/x' };

test('a base edit that weakens the organisation is refused, naming its rule and setting; nothing changes', async () => {
  const { layers, changes } = setUp('base', ORG);
  await assert.rejects(
    () => layers.apply({ layer: 'base', yaml: BASE_WEAKER }, 'dev'),
    (error: WardenError) => {
      assert.equal(error.name, 'PolicyLockedByOrganisation');
      assert.match(error.message, /spec\.network\.default: the default allow is more permissive/);
      assert.match(error.message, /\(and 1 more\)/);
      assert.match(error.hint ?? '', /organisation policy \/etc\/warden\/managed\.yaml/);
      assert.deepEqual(
        error.fields?.conflicts?.map((c) => c.path),
        ['spec.network.default', 'spec.network.rules[0]'],
      );
      return true;
    },
  );
  assert.equal(layers.base(), undefined);
  assert.equal(changes().length, 0);
});

test('an "always allow" of what the organisation denies is refused; an "always deny" narrows and is kept', () => {
  const { layers, sandbox } = setUp('session', ORG);
  for (const call of [
    () => layers.addSessionRule('session-1', { match: 'evil.example', action: 'allow' }, 'dev', evil),
    () => layers.previewSessionRule('session-1', { match: 'evil.example', action: 'allow' }, evil),
  ]) {
    assert.throws(call, (error: WardenError) => {
      assert.equal(error.name, 'PolicyLockedByOrganisation');
      assert.match(
        error.message,
        /would allow what rule 1 of organisation policy \/etc\/warden\/managed\.yaml/,
      );
      return true;
    });
  }
  assert.equal(sandbox.session.spec.network?.rules?.length, 0);
  layers.addSessionRule('session-1', { match: 'good.example', action: 'deny' }, 'dev');
  assert.equal(sandbox.session.spec.network?.rules?.length, 1);
});

test('a new organisation layer re-resolves every sandbox and is announced once', () => {
  const { layers, sandbox, changes } = setUp('push');
  layers.addSessionRule('push-1', { match: 'evil.example', action: 'allow' }, 'dev');
  assert.equal(sandbox.policy().decideRequest(evil).action, 'allow');
  layers.setOrganisation(ORG, 'hub');
  const decision = sandbox.policy().decideRequest(evil);
  assert.equal(decision.action, 'deny');
  assert.equal(decision.rule?.layer, 'organisation');
  // The session rule now contradicts it: kept, ignored, and named in the view.
  assert.deepEqual(
    sandbox
      .policy()
      .view()
      .organisation?.ignored.map((c) => `${c.layer} ${c.path}`),
    ['session spec.network.rules[0]'],
  );
  assert.equal(changes().length, 2);
  assert.equal(changes()[1]?.layer, 'organisation');
  layers.setOrganisation(undefined, 'hub');
  assert.equal(sandbox.policy().decideRequest(evil).action, 'allow');
});
