import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError, type WardenClient } from '../../renderer/client/client.ts';
import { ActivityStore, describeRedactions } from '../../renderer/stores/activity.ts';
import { ApprovalsStore, type Clock } from '../../renderer/stores/approvals.ts';
import { SandboxesStore } from '../../renderer/stores/lists.ts';
import { PolicyStore } from '../../renderer/stores/policy.ts';
import { RootStore } from '../../renderer/stores/root.ts';
import { TasksStore } from '../../renderer/stores/tasks.ts';
import type { ApprovalView, RequestDecidedEvent } from '../../supervisor/api/events.ts';
import type { TaskView } from '../../supervisor/api/tasks.ts';

const decided = (i: number, outcome: RequestDecidedEvent['outcome'] = 'allowed'): RequestDecidedEvent => ({
  type: 'request.decided',
  id: `r${i}`,
  time: new Date(0).toISOString(),
  sandboxId: `s${i % 2}`,
  user: 'u',
  method: 'GET',
  scheme: 'https',
  host: i % 3 === 0 ? 'api.github.com' : 'example.com',
  port: 443,
  path: `/${i}`,
  outcome,
  rule: null,
  reason: 'r',
  decidedBy: 'policy',
  bytesUp: 1,
  bytesDown: 2,
  durationMs: 1,
});

/** A client whose methods are the given functions; any other call fails the test. */
function fakeClient(methods: Partial<Record<keyof WardenClient, (args?: unknown) => unknown>>): WardenClient {
  return new Proxy({} as WardenClient, {
    get: (_t, name: string) =>
      methods[name as keyof WardenClient] ??
      (() => {
        throw new Error(`unexpected call ${name}`);
      }),
  });
}

test('activity: bounded ring, batched flush, counters, filters, pause/resume', () => {
  const flushes: Array<() => void> = [];
  const store = new ActivityStore({ capacity: 5, schedule: (fn) => flushes.push(fn) });
  for (let i = 0; i < 8; i++) store.ingest(decided(i, i === 7 ? 'denied' : 'allowed'));
  assert.equal(flushes.length, 1, 'one flush scheduled per batch');
  flushes.shift()!();
  assert.equal(store.rows.length, 5);
  assert.equal(store.rows[0]!.path, '/7', 'newest first');
  assert.equal(store.total, 8);
  assert.deepEqual(store.counters.get('s1'), { allowed: 3, denied: 1, other: 0 });
  store.setFilter('outcome', 'denied');
  assert.deepEqual(
    store.rows.map((r) => r.path),
    ['/7'],
  );
  store.setFilter('outcome', '');
  store.setFilter('host', 'GITHUB');
  assert.deepEqual(
    store.rows.map((r) => r.path),
    ['/6', '/3'],
  );
  store.setFilter('host', '');
  store.pause();
  store.ingest(decided(8));
  flushes.shift()!();
  assert.equal(store.rows[0]!.path, '/7', 'paused: the view does not move');
  assert.equal(store.heldWhilePaused, 1);
  store.resume();
  assert.equal(store.rows[0]!.path, '/8');
  assert.equal(store.rows.length, 5);
});

test('activity: a row shows what spec.redact masked, from its request.ended', () => {
  const flushes: Array<() => void> = [];
  const store = new ActivityStore({ capacity: 5, schedule: (fn) => flushes.push(fn) });
  store.ingest(decided(1));
  flushes.shift()?.();
  const { bytesUp: _u, bytesDown: _d, durationMs: _m, rule: _r, decidedBy: _b, ...rest } = decided(1);
  store.ingest({
    ...rest,
    type: 'request.ended',
    bytesUp: 10,
    bytesDown: 20,
    durationMs: 3,
    status: 200,
    redactions: { email: 2, vault: 1 },
  });
  flushes.shift()?.();
  assert.deepEqual(store.rows[0]?.redactions, { email: 2, vault: 1 });
  assert.equal(describeRedactions(store.rows[0]?.redactions), 'email 2, vault 1');
});

const approval = (id: string, expiresInMs: number, now: number): ApprovalView => ({
  id,
  sandboxId: 's',
  user: 'u',
  createdAt: new Date(now).toISOString(),
  expiresAt: new Date(now + expiresInMs).toISOString(),
  method: 'GET',
  scheme: 'https',
  host: 'h',
  port: 443,
  path: '/',
  reason: 'asks',
  rule: null,
  suggestedRule: { match: 'h' },
  waiting: 1,
});

test('approvals: live from events, refetched, countdown, answer errors kept per card', async () => {
  let now = 1_000_000;
  let tick: () => void = () => {};
  const clock: Clock = {
    now: () => now,
    every: (_ms, fn) => {
      tick = fn;
      return () => {};
    },
  };
  const answers: unknown[] = [];
  const client = fakeClient({
    listApprovals: async () => [approval('a', 30_000, now)],
    answerApproval: async (args) => {
      answers.push(args);
      if ((args as { params: { id: string } }).params.id === 'gone')
        throw new BridgeError({ name: 'ApprovalNotFound', message: 'no pending approval gone', status: 404 });
      return {};
    },
  });
  const store = new ApprovalsStore(client, clock);
  store.startTicking();
  await store.load();
  assert.deepEqual(
    store.list.map((a) => a.id),
    ['a'],
  );
  assert.equal(store.secondsLeft(store.list[0]!), 30);
  now += 10_500;
  tick();
  assert.equal(store.secondsLeft(store.list[0]!), 20);
  store.onEvent({
    type: 'approval.pending',
    time: '',
    sandboxId: 's',
    user: 'u',
    approval: approval('gone', 5000, now),
  });
  assert.equal(store.items.size, 2);
  assert.equal(await store.answer('gone', 'allow', 'once'), false);
  assert.equal(store.items.has('gone'), false, 'a 404 removes the stale card');
  assert.equal(await store.answer('a', 'deny', 'always'), true);
  assert.deepEqual(answers[1], { params: { id: 'a' }, body: { decision: 'deny', scope: 'always' } });
  assert.equal(store.items.size, 0);
});

test('approvals: a list fetched before an approval went does not bring its card back', async () => {
  const now = 1_000_000;
  let resolveList: (list: ApprovalView[]) => void = () => {};
  const client = fakeClient({
    listApprovals: () => new Promise<ApprovalView[]>((resolve) => (resolveList = resolve)),
  });
  const store = new ApprovalsStore(client, { now: () => now, every: () => () => {} });
  // The stream reconnects and the list is requested; a1 is answered elsewhere meanwhile.
  const loading = store.load();
  store.onEvent({
    type: 'approval.answered',
    time: '',
    sandboxId: 's',
    user: 'u',
    approvalId: 'a1',
    decision: 'allow',
    scope: 'once',
    by: 'cli',
    method: 'GET',
    host: 'h',
    path: '/',
  });
  resolveList([approval('a1', 30_000, now), approval('a2', 30_000, now)]);
  await loading;
  assert.deepEqual(
    store.list.map((a) => a.id),
    ['a2'],
  );
});

test('policy: validation errors kept with line and field; apply refused while invalid', async () => {
  const client = fakeClient({
    getPolicy: async () => ({
      layers: [],
      resolved: {
        rules: [],
        defaultAction: 'ask',
        defaultSource: 'builtin',
        approvalTimeoutSeconds: 120,
        layers: [],
      },
    }),
    auditPage: async () => ({ records: [], nextCursor: null }),
    validatePolicy: async () => ({
      valid: false,
      errors: [{ source: 'editor', line: 7, column: 14, path: 'spec.network.default', message: 'bad' }],
    }),
  });
  const store = new PolicyStore(client, { debounceMs: 1 });
  await store.load();
  assert.match(store.draft, /kind: Policy/);
  store.setDraft(store.draft.replace('ask', 'maybe'));
  assert.equal(await store.validate(), false);
  assert.equal(store.errors[0]?.line, 7);
  assert.equal(store.errors[0]?.path, 'spec.network.default');
  await store.dryRun();
  assert.equal(store.preview, null, 'no dry run of an invalid draft');
});

test('approvals: a cancelled approval (its sandbox removed, the daemon stopping) leaves the list', () => {
  const now = 1_000_000;
  const root = new RootStore(fakeClient({}));
  const store = root.approvals;
  for (const id of ['kept', 'cancelled'])
    root.dispatch({
      type: 'approval.pending',
      time: '',
      sandboxId: 's',
      user: 'u',
      approval: approval(id, 5000, now),
    });
  assert.equal(store.items.size, 2);
  root.dispatch({
    type: 'approval.cancelled',
    time: '',
    sandboxId: 's',
    user: 'u',
    approvalId: 'cancelled',
    method: 'GET',
    host: 'h',
    path: '/',
    reason: 'sandbox s was removed',
  });
  assert.deepEqual([...store.items.keys()], ['kept']);
});

test('sandboxes: one list of both kinds, split for the view, reloaded when either kind changes', async () => {
  let loads = 0;
  const stopped: unknown[] = [];
  const all = [
    { kind: 'vm', sandboxId: 'vm-1', state: 'RUNNING' },
    { kind: 'host', sandboxId: 'host-1', proxyUrl: 'http://127.0.0.1:1' },
  ];
  const store = new SandboxesStore(
    fakeClient({
      listSandboxes: async () => {
        loads++;
        return all;
      },
      stopSandbox: async (args) => {
        stopped.push(args);
        return { removed: true };
      },
    }),
  );
  await store.all.load();
  assert.deepEqual(
    store.vms?.map((s) => s.sandboxId),
    ['vm-1'],
  );
  assert.deepEqual(
    store.hosts?.map((s) => s.sandboxId),
    ['host-1'],
  );
  const action = (name: string) =>
    store.onEvent({ type: 'user.action', time: '', user: 'u', action: name, target: 't' });
  action('listener.create');
  action('sandbox.remove');
  action('secret.set');
  store.onEvent({
    type: 'sandbox.state',
    time: '',
    sandboxId: 'vm-1',
    user: 'u',
    state: 'STOPPED',
    previous: 'RUNNING',
  });
  assert.equal(loads, 4, 'the first load, then one per sandbox change of either kind');
  assert.equal((await store.stop('host-1')).ok, true);
  assert.deepEqual(stopped, [{ params: { sandboxId: 'host-1' } }], 'a host sandbox is removed like a VM');
});

test('tasks: a cancel answered after the stream said "cancelled" does not bring the task back', async () => {
  const running: TaskView = {
    id: 't1',
    kind: 'image.build',
    title: 'Building the minimal guest image',
    state: 'running',
    user: 'u',
    startedAt: new Date(0).toISOString(),
    cancellable: true,
  };
  const ended: TaskView = {
    ...running,
    state: 'cancelled',
    cancellable: false,
    endedAt: new Date(9).toISOString(),
  };
  let answer!: (v: unknown) => void;
  const store = new TasksStore(
    fakeClient({
      cancelTask: () => new Promise((resolve) => (answer = resolve)),
      listTasks: async () => [{ ...running, step: 'cancelling', cancellable: false }],
    }),
  );
  store.onEvent({ type: 'task.updated', task: running });
  const cancelling = store.cancel('t1');
  store.onEvent({ type: 'task.updated', task: ended });
  answer({ task: { ...running, step: 'cancelling', cancellable: false } });
  await cancelling;
  assert.equal(store.byId.get('t1')?.state, 'cancelled');
  await store.load();
  assert.equal(store.byId.get('t1')?.state, 'cancelled', 'a stale list does not undo the end either');
  assert.equal(store.running, 0);
});
