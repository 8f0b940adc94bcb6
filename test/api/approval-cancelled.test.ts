// An approval that nobody can answer any more (its sandbox removed, the daemon stopping) is
// announced as `approval.cancelled` on the event stream and recorded in the audit trail, so
// every client drops its card; the held request is refused.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { ApprovalCancelledEvent, ApprovalView } from '../../supervisor/api/index.ts';
import { VERSION } from '../../supervisor/api/version.ts';
import { AuditStore } from '../../supervisor/audit/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({ label: 'held' });
});
after(async () => {
  await d.stop();
  await up.close();
});

async function heldApproval(sandboxId: string): Promise<ApprovalView> {
  return until(
    'the request to be held for an approval',
    async () => (await d.client.call('GET /v1/approvals')).find((a) => a.sandboxId === sandboxId),
    10_000,
  );
}

const cancelled = (approvalId: string) =>
  d.events.find(
    (e): e is ApprovalCancelledEvent => e.type === 'approval.cancelled' && e.approvalId === approvalId,
  );

test('removing a sandbox cancels its approval: announced, audited, the request refused', async () => {
  const { env, listener } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: ask'));
  const held = curl(env, [`http://127.0.0.1:${up.httpPort}/held?x=1`]);
  const approval = await heldApproval(listener.sandboxId);
  await d.client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: listener.sandboxId } });
  const refused = await held;
  assert.notEqual(refused.status, 200, 'the held request is not let through');
  const event = await until('the approval.cancelled event', () => cancelled(approval.id));
  assert.deepEqual(
    { ...event, time: '' },
    {
      type: 'approval.cancelled',
      time: '',
      sandboxId: listener.sandboxId,
      user: 'tester',
      approvalId: approval.id,
      method: 'GET',
      host: '127.0.0.1',
      path: '/held',
      query: 'x=1',
      reason: `sandbox ${listener.sandboxId} was removed`,
    },
  );
  assert.deepEqual(await d.client.call('GET /v1/approvals'), []);
  const page = await until('the audit record', async () => {
    const p = await d.client.call('GET /v1/audit', { query: { kind: 'approval.cancelled' } });
    return p.records.length > 0 && p;
  });
  const record = page.records[0]!;
  assert.equal(record.sandboxId, listener.sandboxId);
  assert.equal(record.host, '127.0.0.1');
  assert.equal(record.outcome, 'error');
  assert.equal(record.ocsf.class_uid, 6004);
  assert.equal((record.ocsf.unmapped as { approval_id: string }).approval_id, approval.id);
  assert.match(String(record.ocsf.status_detail), /was removed/);
});

test('a stopping daemon cancels what waits, and the trail keeps the record', async () => {
  const { env, listener } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: ask'));
  const held = curl(env, [`http://127.0.0.1:${up.httpPort}/held-at-stop`]);
  const approval = await heldApproval(listener.sandboxId);
  await d.daemon.stop();
  assert.notEqual((await held).status, 200);
  const event = cancelled(approval.id);
  assert.equal(event?.reason, 'the Warden daemon is stopping');
  const store = AuditStore.open(d.daemon.paths.auditDb, { readOnly: true, version: VERSION });
  try {
    const records = store.query({ kind: 'approval.cancelled', sandbox: listener.sandboxId }).records;
    assert.equal(records.length, 1, 'recorded before the writer closed');
  } finally {
    store.close();
  }
  await rm(d.home, { recursive: true, force: true });
});
