// Approvals for IT in the queue: no reviewer hook answers them, no local client can (the
// ApprovalForIt refusal), only the hub's answer releases them, the hub cannot answer other
// approvals, and an expiry carries the reason the daemon gives (the hub's state).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WardenError } from '../api/errors.ts';
import type { ApprovalView, RequestFacts } from '../api/index.ts';
import { type ApprovalAsk, ApprovalQueue } from './queue.ts';

const f: RequestFacts = { scheme: 'https', host: 'evil.test', port: 443, method: 'POST', path: '/up' };
const ask = (extra: Partial<ApprovalAsk> = {}): ApprovalAsk => ({
  identity: { sandboxId: 'sb1', user: 'dev' },
  facts: f,
  reason: 'asks IT',
  rule: null,
  suggestedRule: { match: f.host },
  timeoutSeconds: 60,
  approver: 'it',
  ...extra,
});

function setup() {
  const sent: ApprovalView[] = [];
  let reviews = 0;
  const queue = new ApprovalQueue({
    emit: () => {},
    addSessionRule: () => {
      throw new Error('no session rule for IT');
    },
    redecide: () => 'ask',
    review: () => {
      reviews++;
      return Promise.resolve({ decision: 'allow' as const });
    },
    itPending: (v) => sent.push(v),
    itExpired: () => 'the hub is down',
  });
  return { queue, sent, reviews: () => reviews };
}

test('an approval for IT skips the reviewer hook and refuses every local answer', async () => {
  const { queue, sent, reviews } = setup();
  const outcome = queue.request(ask());
  const [v] = queue.list();
  assert.equal(v?.approver, 'it');
  assert.equal(v?.state, 'pending');
  assert.equal(reviews(), 0);
  assert.deepEqual(
    sent.map((s) => s.id),
    [v!.id],
  );
  for (const client of ['desktop', 'cli', 'lens', 'api', 'browser'] as const) {
    assert.throws(
      () => queue.answer(v!.id, { decision: 'allow', scope: 'once' }, { by: 'dev', client }),
      (e: WardenError) => e.name === 'ApprovalForIt' && /waiting for IT/.test(e.message),
    );
  }
  queue.answer(v!.id, { decision: 'allow', scope: 'once' }, { by: 'it-admin', client: 'hub' });
  const done = await outcome;
  assert.equal(done.kind === 'answered' && done.by, 'it-admin');
  assert.equal(queue.list('answered')[0]?.answer?.client, 'hub');
});

test("the hub cannot answer an approval that is not IT's; an expired one says why", async () => {
  const { queue, reviews } = setup();
  const local = queue.request(ask({ approver: undefined, facts: { ...f, path: '/local' } }));
  assert.equal(reviews(), 1, 'other approvals still go to the reviewer hook');
  await local;
  const mine = queue.request(ask({ approver: undefined, facts: { ...f, path: '/mine' } }));
  void mine;
  const it = queue.request(ask({ timeoutSeconds: 0.05 }));
  const expired = await it;
  assert.deepEqual(expired.kind === 'expired' && expired.why, 'the hub is down');
  queue.cancelAll('done');
  const queue2 = new ApprovalQueue({
    emit: () => {},
    addSessionRule: () => ({}) as never,
    redecide: () => 'ask',
  });
  void queue2.request(ask({ approver: undefined }));
  const [v] = queue2.list();
  assert.throws(
    () => queue2.answer(v!.id, { decision: 'allow', scope: 'once' }, { by: 'x', client: 'hub' }),
    (e: WardenError) => e.name === 'Forbidden',
  );
  queue2.cancelAll('done');
});
