import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { WardenError } from '../api/errors.ts';
import type { PolicyChangedEvent, WardenEvent } from '../api/index.ts';
import { requestLine } from '../api/request-line.ts';
import { PolicyLayers } from './policy-layers.ts';
import { Sandbox } from './sandbox.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wlayers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function yaml(rules: string[], def = 'ask'): string {
  return [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata:',
    '  name: t',
    'spec:',
    '  network:',
    `    default: ${def}`,
    '    rules:',
    ...(rules.length ? rules.map((r) => `      ${r}`) : ['      []']),
    '',
  ].join('\n');
}

function setUp(name: string) {
  const events: WardenEvent[] = [];
  const all: Sandbox[] = [];
  const basePath = path.join(dir, `${name}.yaml`);
  const layers = new PolicyLayers({
    sandboxes: { get: () => all[0]!, list: () => all },
    basePath,
    emit: (e) => events.push(e),
  });
  const sandbox = new Sandbox(
    { sandboxId: `${name}-1`, label: name, user: 'tester', kind: 'host', secrets: [], placeholders: {} },
    () => layers.base(),
  );
  all.push(sandbox);
  const changes = () => events.filter((e): e is PolicyChangedEvent => e.type === 'policy.changed');
  return { layers, sandbox, basePath, changes };
}

const get = { scheme: 'https' as const, host: 'api.example.com', port: 443, method: 'GET', path: '/' };

test('applying the base persists it (0600), re-resolves every sandbox and says so once', async () => {
  const { layers, sandbox, basePath, changes } = setUp('base');
  assert.equal(sandbox.policy().decideRequest(get).action, 'ask');
  const result = await layers.apply(
    { layer: 'base', yaml: yaml(['- match: api.example.com', '  action: allow']) },
    'ann',
  );
  assert.equal(result.applied, true);
  assert.equal(sandbox.policy().decideRequest(get).action, 'allow');
  assert.match(readFileSync(basePath, 'utf8'), /api\.example\.com/);
  assert.equal(statSync(basePath).mode & 0o777, 0o600);
  assert.deepEqual(
    changes().map((e) => [e.layer, e.user, e.source]),
    [['base', 'ann', basePath]],
  );
});

test('a dry run and a preview change nothing and announce nothing', async () => {
  const { layers, sandbox, changes } = setUp('dry');
  const result = await layers.apply(
    { layer: 'project', sandboxId: sandbox.identity.sandboxId, yaml: yaml([], 'deny'), dryRun: true },
    'ann',
  );
  assert.equal(result.applied, false);
  assert.ok(result.diff.defaultChanged);
  layers.previewSessionRule(sandbox.identity.sandboxId, { match: 'api.example.com', action: 'allow' });
  assert.equal(sandbox.policy().decideRequest(get).action, 'ask');
  assert.equal(changes().length, 0);
});

test('a project layer and a session rule are each announced once, for their sandbox', async () => {
  const { layers, sandbox, changes } = setUp('proj');
  const id = sandbox.identity.sandboxId;
  await layers.apply({ layer: 'project', sandboxId: id, yaml: yaml([], 'deny'), source: '/p.yaml' }, 'ann');
  assert.equal(sandbox.policy().decideRequest(get).action, 'deny');
  layers.addSessionRule(id, { match: 'api.example.com', action: 'allow' }, 'bob');
  assert.equal(sandbox.policy().decideRequest(get).action, 'allow');
  assert.deepEqual(
    changes().map((e) => [e.layer, e.sandboxId, e.user, e.source]),
    [
      ['project', id, 'ann', '/p.yaml'],
      ['session', id, 'bob', 'session'],
    ],
  );
});

test('an invalid document changes nothing: PolicyInvalid with every error', async () => {
  const { layers, basePath, changes } = setUp('bad');
  await assert.rejects(
    layers.apply({ layer: 'base', yaml: 'apiVersion: warden.dev/v1\nkind: Policy\nspec: 3\n' }, 'ann'),
    (e: WardenError) => e.name === 'PolicyInvalid' && (e.fields?.errors?.length ?? 0) > 0,
  );
  assert.throws(() => statSync(basePath));
  assert.equal(changes().length, 0);
});

test('the request that asked is the example of an "always" diff, with its scheme and port', () => {
  const { layers, sandbox } = setUp('example');
  const asked = { scheme: 'http' as const, host: '127.0.0.1', port: 37993, method: 'GET', path: '/always/1' };
  const rule = { match: '127.0.0.1:37993', methods: ['GET'], paths: ['/always/1'], action: 'allow' as const };
  const preview = layers.previewSessionRule(sandbox.identity.sandboxId, rule, asked);
  assert.deepEqual(
    preview.outcomeChanges.map((c) => requestLine(c.request)),
    ['GET http://127.0.0.1:37993/always/1'],
  );
  const applied = layers.addSessionRule(sandbox.identity.sandboxId, rule, 'ann', asked);
  assert.equal(requestLine(applied.outcomeChanges[0]!.request), 'GET http://127.0.0.1:37993/always/1');
});
