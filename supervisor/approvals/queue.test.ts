import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestFacts, WardenEvent } from '../api/index.ts';
import type { PolicyDiff } from '../api/policy-types.ts';
import { type ApprovalAsk, ApprovalQueue } from './queue.ts';

const emptyDiff: PolicyDiff = {
  added: [],
  removed: [],
  changed: [],
  reordered: [],
  outcomeChanges: [],
  empty: true,
};

function facts(path = '/a', method = 'GET'): RequestFacts {
  return { scheme: 'https', host: 'api.test', port: 443, method, path };
}

function ask(f: RequestFacts, extra: Partial<ApprovalAsk> = {}): ApprovalAsk {
  return {
    identity: { sandboxId: 'sb1', user: 'dev' },
    facts: f,
    reason: 'no rule matches; the default is ask',
    rule: null,
    suggestedRule: { match: f.host, methods: [f.method], paths: [f.path] },
    timeoutSeconds: 60,
    ...extra,
  };
}

function setup(redecide: (f: RequestFacts) => 'allow' | 'deny' | 'ask' = () => 'ask') {
  const events: WardenEvent[] = [];
  const added: unknown[] = [];
  const queue = new ApprovalQueue({
    emit: (e) => events.push(e),
    addSessionRule: (sandboxId, rule, action) => {
      added.push({ sandboxId, rule, action });
      return emptyDiff;
    },
    redecide: (_s, f) => redecide(f),
  });
  return { queue, events, added };
}

test('identical requests waiting together share one approval, and one answer releases both', async () => {
  const { queue, events } = setup();
  const a = queue.request(ask(facts()));
  const b = queue.request(ask(facts()));
  assert.equal(queue.list().length, 1);
  assert.equal(queue.list()[0]?.waiting, 2);
  const id = queue.list()[0]!.id;
  queue.answer(id, { decision: 'allow', scope: 'once' }, 'alice');
  const [ra, rb] = await Promise.all([a, b]);
  assert.equal(ra.kind, 'answered');
  assert.deepEqual(rb, { kind: 'answered', approvalId: id, decision: 'allow', scope: 'once', by: 'alice' });
  assert.equal(queue.size, 0);
  assert.deepEqual(
    events.map((e) => e.type),
    ['approval.pending', 'approval.answered'],
  );
});

test('different paths get different approvals; once does not add a rule', async () => {
  const { queue, added } = setup();
  const a = queue.request(ask(facts('/a')));
  void queue.request(ask(facts('/b')));
  assert.equal(queue.size, 2);
  const first = queue.list().find((v) => v.path === '/a')!;
  queue.answer(first.id, { decision: 'deny', scope: 'once' }, 'alice');
  assert.equal((await a).kind, 'answered');
  assert.equal(added.length, 0);
  assert.equal(queue.size, 1);
  queue.cancelAll('test over');
});

test('always adds the suggested rule and releases other requests the new rule decides', async () => {
  const { queue, added } = setup((f) => (f.path.startsWith('/repos') ? 'allow' : 'ask'));
  const a = queue.request(ask(facts('/repos/1')));
  const b = queue.request(ask(facts('/repos/2')));
  const c = queue.request(ask(facts('/other')));
  const id = queue.list().find((v) => v.path === '/repos/1')!.id;
  const res = queue.answer(
    id,
    { decision: 'allow', scope: 'always', rule: { match: 'api.test', paths: ['/repos/**'] } },
    'bob',
  );
  assert.ok(res.diff);
  assert.deepEqual(added, [
    { sandboxId: 'sb1', rule: { match: 'api.test', paths: ['/repos/**'] }, action: 'allow' },
  ]);
  assert.deepEqual(await a, {
    kind: 'answered',
    approvalId: id,
    decision: 'allow',
    scope: 'always',
    by: 'bob',
  });
  const rb = await b;
  assert.equal(rb.kind === 'answered' && rb.decision, 'allow');
  assert.equal(queue.size, 1, 'the request the new rule does not decide still waits');
  queue.cancelAll('done');
  assert.equal((await c).kind, 'cancelled');
});

test('an unanswered approval expires as a denial after its timeout', async () => {
  const { queue, events } = setup();
  const outcome = await queue.request(ask(facts(), { timeoutSeconds: 0.05 }));
  assert.equal(outcome.kind, 'expired');
  assert.equal(queue.size, 0);
  assert.equal(events.at(-1)?.type, 'approval.expired');
});

test('a waiter whose client goes away stops waiting; answering an unknown id fails clearly', async () => {
  const { queue } = setup();
  const ac = new AbortController();
  const p = queue.request(ask(facts(), { signal: ac.signal }));
  ac.abort();
  assert.equal((await p).kind, 'cancelled');
  assert.throws(
    () => queue.answer('nope', { decision: 'allow', scope: 'once' }, 'x'),
    /no pending approval nope/,
  );
  queue.cancelAll('done');
});

test('requests that differ only in the query get their own approvals; answering one releases only it', async () => {
  const { queue, events } = setup();
  const innocent = { ...facts('/search'), query: 'q=weather' };
  const carrying = { ...facts('/search'), query: 'q=weather&d=c2VjcmV0LWRhdGE' };
  let carryingDone = false;
  const a = queue.request(ask(innocent));
  void queue.request(ask(carrying)).then(() => {
    carryingDone = true;
  });
  assert.equal(queue.size, 2, 'two approvals');
  const views = queue.list();
  assert.deepEqual(views.map((v) => v.query).sort(), ['q=weather', 'q=weather&d=c2VjcmV0LWRhdGE']);
  const first = views.find((v) => v.query === 'q=weather')!;
  queue.answer(first.id, { decision: 'allow', scope: 'once' }, 'alice');
  assert.equal((await a).kind, 'answered');
  await new Promise((r) => setImmediate(r));
  assert.equal(carryingDone, false, 'the other request still waits');
  assert.equal(queue.size, 1);
  const pending = events.filter((e) => e.type === 'approval.pending');
  assert.deepEqual(pending.map((e) => e.approval.query).sort(), ['q=weather', 'q=weather&d=c2VjcmV0LWRhdGE']);
  const answered = events.find((e) => e.type === 'approval.answered');
  assert.equal(answered?.type === 'approval.answered' && answered.query, 'q=weather');
  queue.cancelAll('test over');
});

test('a long query is shown truncated, with how much was cut; the approval is still keyed on all of it', () => {
  const { queue } = setup();
  const long = `a=${'x'.repeat(5000)}`;
  void queue.request(ask({ ...facts('/q'), query: `${long}1` }));
  void queue.request(ask({ ...facts('/q'), query: `${long}2` }));
  assert.equal(queue.size, 2);
  const shown = queue.list()[0]!.query!;
  assert.ok(shown.length < 1100, `shown ${shown.length} characters`);
  assert.match(shown, /… \(\d+ more characters\)$/);
  queue.cancelAll('test over');
});

test('approvals cancelled with their sandbox or the daemon are announced, with the reason', async () => {
  const { queue, events } = setup();
  const gone = queue.request(ask(facts('/gone')));
  const other = queue.request(ask(facts('/other'), { identity: { sandboxId: 'sb2', user: 'dev' } }));
  const [goneView, otherView] = ['/gone', '/other'].map((p) => queue.list().find((v) => v.path === p)!);
  queue.cancelSandbox('sb1', 'sandbox sb1 was removed');
  assert.equal((await gone).kind, 'cancelled');
  assert.deepEqual(events.at(-1), {
    type: 'approval.cancelled',
    time: (events.at(-1) as { time: string }).time,
    sandboxId: 'sb1',
    user: 'dev',
    approvalId: goneView!.id,
    method: 'GET',
    host: 'api.test',
    path: '/gone',
    reason: 'sandbox sb1 was removed',
  });
  assert.equal(queue.size, 1, "another sandbox's approval still waits");
  queue.cancelAll('the Warden daemon is stopping');
  assert.equal((await other).kind, 'cancelled');
  const last = events.at(-1);
  assert.equal(last?.type === 'approval.cancelled' && last.approvalId, otherView!.id);
  assert.equal(last?.type === 'approval.cancelled' && last.reason, 'the Warden daemon is stopping');
  const before = events.length;
  queue.cancelAll('again');
  assert.equal(events.length, before, 'nothing is announced when nothing waits');
});

test('closed approvals stay listed, newest first, bounded; the default list is what waits', async () => {
  const events: WardenEvent[] = [];
  const queue = new ApprovalQueue({
    emit: (e) => events.push(e),
    addSessionRule: () => emptyDiff,
    redecide: () => 'ask',
    historyLimit: 2,
  });
  for (const p of ['/1', '/2', '/3']) {
    const waiting = queue.request(ask(facts(p)));
    queue.answer(queue.list()[0]!.id, { decision: 'deny', scope: 'once' }, { by: 'alice', client: 'cli' });
    await waiting;
  }
  assert.deepEqual(queue.list(), []);
  const history = queue.list('answered');
  assert.deepEqual(
    history.map((a) => a.path),
    ['/3', '/2'],
  );
  assert.equal(history[0]?.answer?.client, 'cli');
  assert.equal(queue.list('all').length, 2);
  assert.equal(queue.list('expired').length, 0);
});

test('revoking an always answer removes the rule it wrote, once, and says so on the record', async () => {
  const removed: unknown[] = [];
  const events: WardenEvent[] = [];
  const queue = new ApprovalQueue({
    emit: (e) => events.push(e),
    addSessionRule: () => emptyDiff,
    removeSessionRule: (sandboxId, rule, action, by) => {
      removed.push({ sandboxId, rule, action, by });
      return true;
    },
    redecide: () => 'ask',
  });
  const waiting = queue.request(ask(facts('/x')));
  const id = queue.list()[0]!.id;
  queue.answer(id, { decision: 'allow', scope: 'always' }, { by: 'alice', client: 'desktop' });
  await waiting;
  const view = queue.revoke(id, 'bob', 'cli');
  assert.deepEqual(view.revoked && { ...view.revoked, at: '' }, {
    by: 'bob',
    client: 'cli',
    at: '',
    ruleRemoved: true,
  });
  assert.deepEqual(removed, [
    {
      sandboxId: 'sb1',
      rule: { match: 'api.test', methods: ['GET'], paths: ['/x'] },
      action: 'allow',
      by: 'bob',
    },
  ]);
  const event = events.find((e) => e.type === 'approval.revoked');
  assert.equal(event?.type === 'approval.revoked' && event.client, 'cli');
  assert.throws(() => queue.revoke(id, 'bob', 'cli'), { name: 'ApprovalClosed' });
});

test('the reviewer hook answers first: allow settles it unseen, ask shows the card, a rejection denies', async () => {
  const events: WardenEvent[] = [];
  const verdicts: Record<string, () => Promise<{ decision: 'allow' | 'deny' | 'ask'; reason?: string }>> = {
    '/ok': async () => ({ decision: 'allow', reason: 'fine' }),
    '/ask': async () => ({ decision: 'ask' }),
    '/boom': () => Promise.reject(new Error('boom')),
  };
  const queue = new ApprovalQueue({
    emit: (e) => events.push(e),
    addSessionRule: () => emptyDiff,
    redecide: () => 'ask',
    review: (a) => (verdicts[a.path] as () => Promise<{ decision: 'allow' | 'deny' | 'ask' }>)(),
  });
  const ok = await queue.request(ask(facts('/ok')));
  assert.deepEqual(ok, {
    kind: 'answered',
    approvalId: ok.approvalId,
    decision: 'allow',
    scope: 'once',
    by: 'reviewer-hook',
    reason: 'fine',
  });
  const boom = await queue.request(ask(facts('/boom')));
  assert.equal(boom.kind === 'answered' && boom.decision, 'deny');
  assert.match(boom.kind === 'answered' ? (boom.reason ?? '') : '', /reviewer hook failed \(boom\)/);
  const waiting = queue.request(ask(facts('/ask')));
  await until(() => queue.list().length === 1);
  assert.equal(queue.size, 1);
  assert.equal(queue.promptsLastHour('sb1'), 1, 'only what a human saw counts');
  assert.deepEqual(
    events
      .filter((e) => e.type === 'approval.pending')
      .map((e) => e.type === 'approval.pending' && e.approval.path),
    ['/ask'],
  );
  queue.answer(queue.list()[0]!.id, { decision: 'allow', scope: 'once' }, 'alice');
  await waiting;
});

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(ok());
}
test('MCP calls to one URL share an approval only when they are the same call', async () => {
  const { queue } = setup(() => 'allow');
  const mcp = (name: string, args: string) => ({
    server: 'files',
    method: 'tools/call' as const,
    name,
    arguments: args,
    argumentBytes: args.length,
  });
  const f = facts('/mcp', 'POST');
  const a = queue.request(ask(f, { mcp: mcp('read', '{"p":1}') }));
  const b = queue.request(ask(f, { mcp: mcp('read', '{"p":1}') }));
  const c = queue.request(ask(f, { mcp: mcp('read', '{"p":2}') }));
  const d = queue.request(ask(f, { mcp: mcp('delete', '{"p":1}') }));
  const e = queue.request(ask(f));
  assert.equal(queue.list().length, 4);
  const first = queue.list().find((v) => v.mcp?.name === 'read' && v.mcp.arguments === '{"p":1}');
  assert.equal(first?.waiting, 2);
  assert.throws(
    () => queue.answer(first!.id, { decision: 'allow', scope: 'always' }, 'alice'),
    (err: Error) => err.name === 'BadRequest' && /answered once only/.test(err.message),
  );
  // An "always" on the plain request adds a network rule; it decides no held MCP call.
  const plain = queue.list().find((v) => !v.mcp);
  queue.answer(plain!.id, { decision: 'allow', scope: 'always' }, 'alice');
  assert.equal((await e).kind, 'answered');
  assert.equal(queue.list().length, 3);
  queue.answer(first!.id, { decision: 'deny', scope: 'once' }, 'alice');
  const [ra, rb] = await Promise.all([a, b]);
  assert.equal(ra.kind === 'answered' && ra.decision, 'deny');
  assert.equal(rb.kind === 'answered' && rb.decision, 'deny');
  queue.cancelAll('test over');
  await Promise.all([c, d]);
});
