// One sandbox resource of two kinds: a host process's governed listener is made, listed,
// shown, given session rules and removed through /v1/sandboxes like a microVM (VMs are in
// test/vm/), and the deprecated /v1/listeners routes still answer in their old shapes.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HostSandboxView, UserActionEvent } from '../../supervisor/api/index.ts';
import type { ApiClientError } from '../../supervisor/client/api-client.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';

let d: TestDaemon;

before(async () => {
  d = await startTestDaemon();
});
after(async () => {
  await d.stop();
});

const actions = (sandboxId: string) =>
  d.events
    .filter((e): e is UserActionEvent => e.type === 'user.action' && e.sandboxId === sandboxId)
    .map((e) => e.action);

test('a host sandbox: created, listed with its kind, shown, given a rule, removed', async () => {
  const created = await d.client.call('POST /v1/sandboxes', {
    body: {
      kind: 'host',
      label: 'tool',
      policy: { yaml: policyYaml('- match: a.test\n  action: allow'), source: 'p.yaml' },
    },
  });
  const sandbox = created.sandbox as HostSandboxView;
  assert.equal(sandbox.kind, 'host');
  assert.match(sandbox.sandboxId, /^tool-[0-9a-f]{6}$/);
  assert.equal(sandbox.user, 'tester');
  assert.equal(sandbox.policySource, 'p.yaml');
  assert.equal(sandbox.proxyUrl, `http://127.0.0.1:${sandbox.port}`);
  assert.equal(created.env?.HTTP_PROXY, sandbox.clientProxyUrl, 'the environment carries its credential');
  assert.equal(created.env?.WARDEN_SANDBOX, sandbox.sandboxId);

  const id = { sandboxId: sandbox.sandboxId };
  // Listed and shown, a sandbox also carries how many prompts it raised in the last hour.
  const listed = { ...sandbox, promptsLastHour: 0 };
  assert.deepEqual(await d.client.call('GET /v1/sandboxes'), [listed]);
  assert.deepEqual(await d.client.call('GET /v1/sandboxes/:sandboxId', { params: id }), listed);
  const status = await d.client.call('GET /v1/status');
  assert.deepEqual(status.sandboxes, [listed]);

  const rule = await d.client.call('POST /v1/sandboxes/:sandboxId/rules', {
    params: id,
    body: { rule: { match: 'b.test' }, action: 'deny' },
  });
  assert.equal(rule.applied, true);
  assert.equal(rule.diff.added.length, 1);
  const policy = await d.client.call('GET /v1/policy', { query: { sandbox: sandbox.sandboxId } });
  assert.ok(policy.resolved.rules.some((r) => r.layer === 'session' && r.match === 'b.test'));

  assert.deepEqual(await d.client.call('DELETE /v1/sandboxes/:sandboxId', { params: id }), { removed: true });
  assert.deepEqual(await d.client.call('GET /v1/sandboxes'), []);
  await assert.rejects(
    d.client.call('GET /v1/sandboxes/:sandboxId', { params: id }),
    (e: ApiClientError) => e.name === 'SandboxNotFound' && e.status === 404 && /warden ps/.test(e.hint ?? ''),
  );
  assert.deepEqual(actions(sandbox.sandboxId), ['listener.create', 'listener.remove']);
});

test('the deprecated /v1/listeners routes still answer, in their old shapes, on the same sandboxes', async () => {
  const old = await d.client.call('POST /v1/listeners', { body: { label: 'old-client' } });
  assert.equal(old.listener.kind, 'host');
  assert.equal(old.env.HTTP_PROXY, old.listener.clientProxyUrl);
  const id = { sandboxId: old.listener.sandboxId };
  assert.deepEqual(await d.client.call('GET /v1/listeners'), [old.listener]);
  assert.deepEqual((await d.client.call('GET /v1/status')).listeners, [old.listener]);
  assert.deepEqual(await d.client.call('GET /v1/sandboxes/:sandboxId', { params: id }), {
    ...old.listener,
    kind: 'host',
    promptsLastHour: 0,
  });
  const rule = await d.client.call('POST /v1/listeners/:sandboxId/rules', {
    params: id,
    body: { rule: { match: 'c.test' }, action: 'allow' },
  });
  assert.equal(rule.diff.added.length, 1);
  assert.deepEqual(await d.client.call('DELETE /v1/listeners/:sandboxId', { params: id }), { removed: true });
  assert.deepEqual(await d.client.call('GET /v1/listeners'), []);
  assert.deepEqual(actions(old.listener.sandboxId), ['listener.create', 'listener.remove']);
});

test('a body that mixes the kinds, or names another kind, is refused and makes nothing', async () => {
  // The kind picks the schema: the refusal names what is wrong for that kind only.
  const refused = async (body: unknown, message: RegExp) =>
    assert.rejects(
      d.client.call('POST /v1/sandboxes', { body: body as never }),
      (e: ApiClientError) =>
        e.name === 'BadRequest' &&
        e.status === 400 &&
        message.test(e.message) &&
        !/anyOf|then|else/.test(e.message),
      JSON.stringify(body),
    );
  await refused({ kind: 'host', cpus: 2 }, /additional properties "cpus"$/);
  await refused({ kind: 'host', workspace: { path: '/' } }, /additional properties "workspace"$/);
  await refused({ kind: 'vm', port: 8080 }, /additional properties "port"$/);
  await refused({ port: 8080 }, /additional properties "port"$/);
  await refused({ cpus: 0 }, /\/cpus must be >= 1$/);
  await refused({ kind: 'container' }, /\/kind must be equal to constant$/);
  await refused({ kind: 'host', label: 'x'.repeat(101) }, /\/label must NOT have more than 100 characters$/);
  await refused([{ kind: 'host' }], /must be object/);
  assert.deepEqual(await d.client.call('GET /v1/sandboxes'), []);
  await assert.rejects(
    d.client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: 'no-such' } }),
    (e: ApiClientError) => e.name === 'SandboxNotFound' && e.status === 404,
  );
  await assert.rejects(
    d.client.call('POST /v1/sandboxes/:sandboxId/rules', {
      params: { sandboxId: 'no-such' },
      body: { rule: { match: 'a.test' }, action: 'allow' },
    }),
    (e: ApiClientError) => e.name === 'SandboxNotFound' && e.status === 404,
  );
});
