// The approvals inbox with a real daemon and curl held on a request: an answer given late
// still releases it; answered and expired approvals stay listed with who answered, from which
// client and when; an "always" answer can be revoked and the next request asks again; the
// audit trail carries the provenance; prompts per hour per sandbox are counted.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { ApprovalView } from '../../supervisor/api/index.ts';
import { ApiClient } from '../../supervisor/client/api-client.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;
let desktop: ApiClient;
let cli: ApiClient;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({ label: 'inbox' });
  desktop = await ApiClient.fromFiles(d.daemon.paths.socket, d.daemon.paths.tokenFile, 'desktop');
  cli = await ApiClient.fromFiles(d.daemon.paths.socket, d.daemon.paths.tokenFile, 'cli');
});
after(async () => {
  await d.stop();
  await up.close();
});

const askAll = (timeoutSeconds = 60) => policyYaml('- match: 127.0.0.1\n  action: ask', { timeoutSeconds });

async function held(sandboxId: string, path: string): Promise<ApprovalView> {
  return until(
    `the request to ${path} to be held`,
    async () =>
      (await d.client.call('GET /v1/approvals')).find((a) => a.sandboxId === sandboxId && a.path === path),
    10_000,
  );
}

async function auditOf(kind: string, approvalId: string) {
  return until(`the ${kind} record of ${approvalId}`, async () => {
    const page = await d.client.call('GET /v1/audit', { query: { kind } });
    return page.records.find((r) => (r.ocsf.unmapped as { approval_id?: string }).approval_id === approvalId);
  });
}

test('an answer given late still releases the held request, and the history says who, from where, when', async () => {
  const { env, listener } = await d.listener(askAll());
  const request = curl(env, [`http://127.0.0.1:${up.httpPort}/late`]);
  const approval = await held(listener.sandboxId, '/late');
  assert.equal(approval.state, 'pending');
  await new Promise((r) => setTimeout(r, 1500));
  const before = Date.now();
  const answered = await desktop.call('POST /v1/approvals/:id', {
    params: { id: approval.id },
    body: { decision: 'allow', scope: 'once' },
  });
  assert.equal((await request).status, 200, 'released after 1.5 s of waiting');
  assert.equal(answered.approval.state, 'answered');
  assert.equal(answered.approval.answer?.by, 'tester');
  assert.equal(answered.approval.answer?.client, 'desktop');
  assert.ok(Date.parse(answered.approval.answer?.at ?? '') >= before - 5);

  const history = await d.client.call('GET /v1/approvals', { query: { state: 'answered' } });
  const entry = history.find((a) => a.id === approval.id);
  assert.equal(entry?.answer?.client, 'desktop');
  assert.equal(entry?.answer?.decision, 'allow');
  assert.deepEqual(await d.client.call('GET /v1/approvals'), [], 'nothing waits any more');

  const record = await auditOf('approval.answered', approval.id);
  const unmapped = record.ocsf.unmapped as Record<string, unknown>;
  assert.equal(unmapped.answered_by, 'tester');
  assert.equal(unmapped.answered_client, 'desktop');
  assert.match(String(record.ocsf.message), /^tester \(desktop\) answered allow \(once\)/);

  // A second answer to a closed approval is refused, naming who answered first.
  const again = await cli
    .call('POST /v1/approvals/:id', {
      params: { id: approval.id },
      body: { decision: 'deny', scope: 'once' },
    })
    .catch((e) => e);
  assert.equal(again.name, 'ApprovalNotFound', 'the name clients already drop a card on');
  assert.equal(again.status, 404);
  assert.match(again.message, /no longer waiting: it was answered allow \(once\) by tester from desktop/);
});

test('an expired approval stays listed as expired; the held request was denied', async () => {
  const { env, listener } = await d.listener(askAll(1));
  const request = curl(env, [`http://127.0.0.1:${up.httpPort}/expires`]);
  const approval = await held(listener.sandboxId, '/expires');
  assert.equal((await request).status, 403);
  const expired = await until('the expired entry', async () =>
    (await d.client.call('GET /v1/approvals', { query: { state: 'expired' } })).find(
      (a) => a.id === approval.id,
    ),
  );
  assert.equal(expired.state, 'expired');
  assert.ok(expired.closedAt);
  const all = await d.client.call('GET /v1/approvals', { query: { state: 'all' } });
  assert.ok(all.some((a) => a.id === approval.id));
});

test('an "always" answer can be revoked: its rule goes, the next request asks again, all on the chain', async () => {
  const { env, listener } = await d.listener(askAll());
  const first = curl(env, [`http://127.0.0.1:${up.httpPort}/always/a`]);
  const approval = await held(listener.sandboxId, '/always/a');
  const answered = await cli.call('POST /v1/approvals/:id', {
    params: { id: approval.id },
    body: { decision: 'allow', scope: 'always' },
  });
  assert.ok(answered.diff, 'the always answer changed the session layer');
  assert.equal((await first).status, 200);
  assert.equal((await curl(env, [`http://127.0.0.1:${up.httpPort}/always/a`])).status, 200, 'no prompt now');
  const entry = (await d.client.call('GET /v1/approvals', { query: { state: 'answered' } })).find(
    (a) => a.id === approval.id,
  );
  assert.equal(entry?.answer?.revocable, true);

  const revoked = await desktop.call('POST /v1/approvals/:id/revoke', { params: { id: approval.id } });
  assert.equal(revoked.revoked?.by, 'tester');
  assert.equal(revoked.revoked?.client, 'desktop');
  assert.equal(revoked.revoked?.ruleRemoved, true);
  const policy = await d.client.call('GET /v1/policy', { query: { sandbox: listener.sandboxId } });
  const session = policy.layers.find((l) => l.layer === 'session');
  assert.doesNotMatch(session?.yaml ?? '', /127\.0\.0\.1/, 'the session rule is gone');

  const next = curl(env, [`http://127.0.0.1:${up.httpPort}/always/a`]);
  const asked = await held(listener.sandboxId, '/always/a');
  assert.notEqual(asked.id, approval.id, 'a new approval: the request asks again');
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: asked.id },
    body: { decision: 'deny', scope: 'once' },
  });
  assert.equal((await next).status, 403);

  const record = await auditOf('approval.revoked', approval.id);
  const unmapped = record.ocsf.unmapped as Record<string, unknown>;
  assert.equal(unmapped.revoked_by, 'tester');
  assert.equal(unmapped.revoked_client, 'desktop');
  assert.equal(unmapped.rule_removed, true);
  const answeredRecord = await auditOf('approval.answered', approval.id);
  assert.equal((answeredRecord.ocsf.unmapped as Record<string, unknown>).answered_client, 'cli');
  const chain = await d.client.call('GET /v1/audit/chain');
  assert.equal(chain.ok, true);

  const twice = await cli
    .call('POST /v1/approvals/:id/revoke', { params: { id: approval.id } })
    .catch((e) => e);
  assert.equal(twice.name, 'ApprovalClosed');
  assert.match(twice.message, /already revoked by tester/);
});

test('a client named with curl over the socket is recorded as that client', async () => {
  const { env, listener } = await d.listener(askAll());
  const request = curl(env, [`http://127.0.0.1:${up.httpPort}/from-curl`]);
  const approval = await held(listener.sandboxId, '/from-curl');
  const token = (await readFile(d.daemon.paths.tokenFile, 'utf8')).trim();
  const { stdout } = await promisify(execFile)('curl', [
    '-sS',
    '--unix-socket',
    d.daemon.paths.socket,
    '-H',
    `Authorization: Bearer ${token}`,
    '-H',
    'X-Warden-Client: lens',
    '-H',
    'content-type: application/json',
    '--data',
    '{"decision":"deny","scope":"once"}',
    `http://warden/v1/approvals/${approval.id}`,
  ]);
  assert.equal(JSON.parse(stdout).approval.answer.client, 'lens');
  assert.equal((await request).status, 403);
  const event = d.events.find((e) => e.type === 'approval.answered' && e.approvalId === approval.id);
  assert.equal(event?.type === 'approval.answered' && event.client, 'lens');
});

test('prompts per hour are counted per sandbox and shown on the sandbox', async () => {
  const { env, listener } = await d.listener(askAll());
  for (const path of ['/rate/1', '/rate/2', '/rate/3']) {
    const request = curl(env, [`http://127.0.0.1:${up.httpPort}${path}`]);
    const approval = await held(listener.sandboxId, path);
    await d.client.call('POST /v1/approvals/:id', {
      params: { id: approval.id },
      body: { decision: 'deny', scope: 'once' },
    });
    await request;
  }
  const view = await d.client.call('GET /v1/sandboxes/:sandboxId', {
    params: { sandboxId: listener.sandboxId },
  });
  assert.equal(view.promptsLastHour, 3);
  const other = await d.listener(askAll());
  const list = await d.client.call('GET /v1/sandboxes');
  assert.equal(list.find((s) => s.sandboxId === other.listener.sandboxId)?.promptsLastHour, 0);
});
