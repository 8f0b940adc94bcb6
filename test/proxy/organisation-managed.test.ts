// The organisation policy from a managed file, end to end: a real daemon pointed at a
// root-owned managed folder enforces it (curl through the proxy gets the organisation's
// deny even though the project allows the host), refuses a base edit (a rule, the default, a
// package floor) and an "always" answer that would weaken it, shows it in the status and the policy view; a user-owned copy is
// ignored with a warning in the status. Needs root (CI runs as root) to own files as nobody.

import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ApiClientError } from '../../supervisor/client/api-client.ts';
import { policyHash } from '../../supervisor/policy/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { makeTempDir, type TempDir } from '../support/temp-dir.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const root = process.getuid?.() === 0;
const ORG_POLICY = [
  'apiVersion: warden.dev/v1',
  'kind: Policy',
  'metadata: { name: acme-it }',
  'spec:',
  '  network:',
  '    default: ask',
  '    rules:',
  '      - match: evil.test',
  '        action: deny',
  '        description: exfiltration host (ACME IT)',
  '  approvals: { timeoutSeconds: 60 }',
  '  packages: { npm: { installScripts: deny } }',
  '',
].join('\n');
const PROJECT = policyYaml(
  '- match: 127.0.0.1\n  action: allow\n- match: evil.test\n  action: allow\n- match: api.test\n  action: allow',
);

function managedFolder(tmp: TempDir, name: string): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'managed.yaml'), ORG_POLICY, { mode: 0o644 });
  return dir;
}

describe('organisation policy from a managed file', { skip: root ? false : 'needs root' }, () => {
  let up: Upstreams;
  let tmp: TempDir;
  let d: TestDaemon;

  before(async () => {
    up = await startUpstreams();
    tmp = makeTempDir('wmanaged-');
    d = await startTestDaemon({
      upstreamCa: [up.caPem],
      resolve: { 'api.test': '127.0.0.1', 'evil.test': '127.0.0.1' },
      daemon: { managedDir: managedFolder(tmp, 'warden') },
    });
  });
  after(async () => {
    await d?.stop();
    await up?.close();
    tmp?.dispose();
  });

  test('a root-owned file is enforced: its deny wins over the project allow, with its reason', async () => {
    const { env } = await d.listener(PROJECT);
    const denied = await curl(env, [`http://evil.test:${up.httpPort}/upload`]);
    assert.equal(denied.status, 403);
    assert.match(denied.body, /organisation policy .*managed\.yaml/);
    assert.match(denied.body, /cannot be weakened by rule 2 of project policy/);
    const allowed = await curl(env, [`http://api.test:${up.httpPort}/ok`]);
    assert.equal(allowed.status, 200);
  });

  test('the status and the policy view say what the organisation fixed, from where, and what it overrides', async () => {
    const status = await d.client.call('GET /v1/status');
    assert.equal(status.organisation?.enforced?.origin.kind, 'managed');
    assert.equal(status.organisation?.enforced?.origin.hash, policyHash(ORG_POLICY));
    assert.deepEqual(status.organisation?.warnings, []);
    const { listener } = await d.listener(PROJECT);
    const view = await d.client.call('GET /v1/policy', { query: { sandbox: listener.sandboxId } });
    assert.equal(view.layers[0]?.layer, 'organisation');
    assert.equal(view.resolved.organisation?.defaultAction, 'ask');
    assert.equal(view.resolved.organisation?.approvalTimeoutSeconds, 60);
    assert.equal(view.resolved.approvalTimeoutSeconds, 60);
    assert.deepEqual(view.resolved.organisation?.settings, ['npm packages: install scripts deny']);
    assert.deepEqual(
      view.resolved.organisation?.ignored.map((c) => `${c.layer} ${c.path}`),
      ['project spec.network.rules[1]'],
    );
  });

  test('a base edit that weakens it is refused with the organisation rule named; a narrowing one is applied', async () => {
    await assert.rejects(
      d.client.call('PUT /v1/policy', {
        body: {
          layer: 'base',
          yaml: policyYaml('- match: evil.test\n  action: allow', { default: 'allow' }),
        },
      }),
      (e: ApiClientError) =>
        e.name === 'PolicyLockedByOrganisation' &&
        e.status === 403 &&
        /default allow is more permissive than the organisation's default ask/.test(e.message) &&
        /organisation policy .*managed\.yaml/.test(e.hint ?? '') &&
        e.details.conflicts?.length === 2,
    );
    // Its settings beyond network rules too: a package floor relaxed is refused, naming it.
    await assert.rejects(
      d.client.call('PUT /v1/policy', {
        body: {
          layer: 'base',
          yaml: `${policyYaml('- match: tracker.test\n  action: deny')}  packages: { npm: { installScripts: allow } }\n`,
        },
      }),
      (e: ApiClientError) =>
        e.name === 'PolicyLockedByOrganisation' &&
        /spec\.packages\.npm\.installScripts: installScripts: allow is more permissive than the organisation's deny/.test(
          e.message,
        ),
    );
    const applied = await d.client.call('PUT /v1/policy', {
      body: { layer: 'base', yaml: policyYaml('- match: tracker.test\n  action: deny') },
    });
    assert.equal(applied.applied, true);
  });

  test('an "always allow" for the denied host is refused (warden rule add)', async () => {
    const { listener } = await d.listener(PROJECT);
    await assert.rejects(
      d.client.call('POST /v1/sandboxes/:sandboxId/rules', {
        params: { sandboxId: listener.sandboxId },
        body: { rule: { match: 'evil.test' }, action: 'allow' },
      }),
      (e: ApiClientError) =>
        e.name === 'PolicyLockedByOrganisation' && /would allow what rule 1 of organisation/.test(e.message),
    );
  });
});

describe('a managed file a user could have written', { skip: root ? false : 'needs root' }, () => {
  test('a user-owned copy is ignored, with a warning in the status, and nothing is enforced', async () => {
    const up = await startUpstreams();
    const tmp = makeTempDir('wmanaged-');
    const dir = managedFolder(tmp, 'warden');
    chownSync(path.join(dir, 'managed.yaml'), 65534, 65534);
    const d = await startTestDaemon({
      upstreamCa: [up.caPem],
      resolve: { 'evil.test': '127.0.0.1' },
      daemon: { managedDir: dir },
    });
    try {
      const status = await d.client.call('GET /v1/status');
      assert.equal(status.organisation?.enforced, undefined);
      assert.match(
        status.organisation?.warnings[0] ?? '',
        /managed\.yaml is ignored: the file is owned by uid 65534, not root/,
      );
      assert.ok(d.logs.some((l) => l.includes('is ignored')));
      const { env } = await d.listener(PROJECT);
      assert.equal((await curl(env, [`http://evil.test:${up.httpPort}/upload`])).status, 200);
    } finally {
      await d.stop();
      await up.close();
      tmp.dispose();
    }
  });
});
