// What the renderer sends over the extension IPC, from the attacker's side (a renderer page
// runs other extensions' code too): an approval id that tries to reach another route, bodies
// that are not answers, oversized ids, stops and preferences that are not. Nothing reaches
// a route other than the one meant, nothing throws across the IPC, the held request stays
// held, and a host sandbox's proxy credential never crosses to the renderer.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildFreelensPackage } from '../../extension/build.mjs';
import type {
  AnswerResult,
  CancelTaskResult,
  NotificationsResult,
  PreviewResult,
  SandboxRow,
  Snapshot,
  StopResult,
} from '../../extension/src/common/ipc.ts';
import { WARDEN_IPC } from '../../extension/src/common/ipc.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { type LoadedExtension, loadFreelensExtension } from '../support/freelens-host.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const built = makeTempDir('warden-freelens-pkg-');
let up: Upstreams;
let d: TestDaemon;
let ext: LoadedExtension;

before(async () => {
  const pkg = path.join(built.dir, 'freelens');
  await buildFreelensPackage({ outdir: pkg });
  up = await startUpstreams();
  d = await startTestDaemon({ label: 'hostile' });
  process.env.WARDEN_HOME = d.home;
  ext = await loadFreelensExtension(pkg);
  await until('the extension to connect', async () => {
    const s = (await ext.invoke(WARDEN_IPC.snapshot)) as Snapshot;
    return s.connection.kind === 'connected';
  });
});
after(async () => {
  await ext.deactivate();
  await d.stop();
  await up.close();
  built.dispose();
});

test('ids and bodies that are not an answer are refused without reaching another route', async () => {
  const { env } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: ask'));
  const held = curl(env, [`http://127.0.0.1:${up.httpPort}/hostile-held`]);
  const approval = await until(
    'the held request',
    async () =>
      ((await ext.invoke(WARDEN_IPC.snapshot)) as Snapshot).approvals.find((a) => a.path === '/hostile-held'),
    10_000,
  );
  const secretsBefore = await d.client.call('GET /v1/secrets');

  const answers: [unknown, unknown][] = [
    ['../../secrets/X', { decision: 'allow', scope: 'once' }],
    [`${approval.id}/preview`, { decision: 'allow', scope: 'once' }],
    [`${approval.id}?x=1`, { decision: 'allow', scope: 'once' }],
    ['x'.repeat(10_000), { decision: 'allow', scope: 'once' }],
    [42, { decision: 'allow', scope: 'once' }],
    ['', { decision: 'allow', scope: 'once' }],
    [approval.id, null],
    [approval.id, ['allow']],
    [approval.id, 'allow'],
    [approval.id, { decision: 'allow', scope: 'forever' }],
    [approval.id, { decision: 'allow', scope: 'once', extra: true }],
    [approval.id, { decision: 'allow', scope: 'always', rule: { match: '*', action: 'allow' } }],
  ];
  for (const [id, body] of answers) {
    const result = (await ext.invoke(WARDEN_IPC.answer, id, body)) as AnswerResult;
    assert.equal(result.ok, false, `refused: ${JSON.stringify([id, body]).slice(0, 80)}`);
  }
  const preview = (await ext.invoke(WARDEN_IPC.preview, '../approvals', {
    decision: 'allow',
  })) as PreviewResult;
  assert.equal(preview.ok, false);

  assert.deepEqual(await d.client.call('GET /v1/secrets'), secretsBefore);
  const still = ((await ext.invoke(WARDEN_IPC.snapshot)) as Snapshot).approvals.map((a) => a.id);
  assert.deepEqual(still, [approval.id], 'the approval is still pending, untouched');
  assert.deepEqual(
    (await d.client.call('GET /v1/approvals')).map((a) => a.id),
    [approval.id],
  );

  const ok = (await ext.invoke(WARDEN_IPC.answer, approval.id, {
    decision: 'deny',
    scope: 'once',
  })) as AnswerResult;
  assert.equal(ok.ok, true);
  assert.notEqual((await held).status, 200);
});

test('a stop that is not a sandbox id reaches no other route and stops nothing', async () => {
  const { listener } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
  await until(
    'the sandbox to be listed over IPC',
    async () =>
      ((await ext.invoke(WARDEN_IPC.sandboxes)) as SandboxRow[]).some(
        (s) => s.sandboxId === listener.sandboxId,
      ),
    10_000,
  );
  const secretsBefore = await d.client.call('GET /v1/secrets');
  for (const id of [
    `${listener.sandboxId}/rules`,
    `../secrets/X`,
    `${listener.sandboxId}?force=1`,
    'x'.repeat(10_000),
    '',
    42,
    null,
    { sandboxId: listener.sandboxId },
  ]) {
    const r = (await ext.invoke(WARDEN_IPC.stopSandbox, id)) as StopResult;
    assert.equal(r.ok, false, `refused: ${JSON.stringify(id).slice(0, 60)}`);
  }
  assert.deepEqual(await d.client.call('GET /v1/secrets'), secretsBefore);
  assert.ok(
    (await d.client.call('GET /v1/sandboxes')).some((s) => s.sandboxId === listener.sandboxId),
    'the sandbox still runs',
  );
  for (const clusters of [
    'x',
    [{ name: 'p', kubeconfigPath: '../../etc/passwd', kubeconfigContext: 'c' }],
    [{ name: 'p', kubeconfigPath: '/etc/passwd\0', kubeconfigContext: 'c' }],
    Array.from({ length: 500 }, () => ({ name: 'p', kubeconfigPath: '/k', kubeconfigContext: 'c' })),
  ]) {
    const r = (await ext.invoke(WARDEN_IPC.setClusters, clusters)) as { ok: boolean };
    assert.equal(r.ok, false, `refused: ${JSON.stringify(clusters).slice(0, 60)}`);
  }
  // A readable file that is not a kubeconfig gives nothing back, not even a line of it.
  const passwd = (await ext.invoke(WARDEN_IPC.setClusters, [
    { name: 'p', kubeconfigPath: '/etc/passwd', kubeconfigContext: 'root' },
  ])) as { ok: boolean; clusters?: unknown[] };
  assert.deepEqual(passwd, { ok: true, clusters: [] });
  for (const pref of ['loud', '', null, 1, { pref: 'on' }, 'on; rm -rf']) {
    const r = (await ext.invoke(WARDEN_IPC.setNotifications, pref)) as NotificationsResult;
    assert.equal(r.ok, false, `refused: ${JSON.stringify(pref)}`);
  }
});

test("a host sandbox's proxy credential never crosses to the renderer", async () => {
  const { listener } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
  const full = await d.client.call('GET /v1/sandboxes/:sandboxId', {
    params: { sandboxId: listener.sandboxId },
  });
  assert.equal(full.kind, 'host');
  const credential = full.kind === 'host' ? new URL(full.clientProxyUrl).password : '';
  assert.ok(credential.length > 8, 'the daemon gives the credential to its owner');
  const rows = await until(
    'the sandbox row',
    async () => {
      const list = (await ext.invoke(WARDEN_IPC.sandboxes)) as SandboxRow[];
      return list.some((s) => s.sandboxId === listener.sandboxId) && list;
    },
    10_000,
  );
  const everything = JSON.stringify([rows, ext.broadcasts, await ext.invoke(WARDEN_IPC.snapshot)]);
  assert.ok(!everything.includes(credential), 'no credential in the rows, the snapshot or any broadcast');
});

test('a cancel that is not a task id reaches no other route and stops nothing', async () => {
  const { listener } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
  for (const id of [
    `../sandboxes/${listener.sandboxId}`,
    '..%2Fsandboxes%2F' + listener.sandboxId,
    `${listener.sandboxId}`,
    'x'.repeat(10_000),
    '',
    42,
    null,
    { taskId: 'x' },
  ]) {
    const r = (await ext.invoke(WARDEN_IPC.cancelTask, id)) as CancelTaskResult;
    assert.equal(r.ok, false, `refused: ${JSON.stringify(id).slice(0, 60)}`);
  }
  assert.ok(
    (await d.client.call('GET /v1/sandboxes')).some((s) => s.sandboxId === listener.sandboxId),
    'the sandbox still runs',
  );
});
