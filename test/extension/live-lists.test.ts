// The activity and sandbox lists main keeps for the renderer, and the notifier's rules, on
// events built to the contract's shapes (no daemon needed to see a bound or an edge).

import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { trayLabel } from '../../extension/src/legacy/tray-label.ts';
import { ActivityFeed } from '../../extension/src/main/activity.ts';
import {
  ApprovalNotifier,
  desktopAppRunning,
  type NotificationLike,
} from '../../extension/src/main/notifications.ts';
import { SandboxList, toSandboxRow } from '../../extension/src/main/sandboxes.ts';
import { TaskList } from '../../extension/src/main/tasks.ts';
import type { ApprovalView, RequestDecidedEvent, RequestEndedEvent } from '../../supervisor/api/events.ts';
import type { TaskView } from '../../supervisor/api/tasks.ts';
import { tempDir } from '../support/temp-dir.ts';

const base = { sandboxId: 'sb-1', user: 'u', method: 'GET', scheme: 'http' as const, host: 'h', port: 8080 };

function decided(id: string, outcome: RequestDecidedEvent['outcome'] = 'allowed'): RequestDecidedEvent {
  return {
    ...base,
    type: 'request.decided',
    id,
    time: new Date(0).toISOString(),
    path: `/${id}`,
    outcome,
    rule: null,
    reason: 'default',
    decidedBy: 'policy',
  };
}

function ended(id: string): RequestEndedEvent {
  return {
    ...base,
    type: 'request.ended',
    id,
    time: new Date(1).toISOString(),
    path: `/${id}`,
    outcome: 'error',
    reason: 'upstream reset',
    status: 502,
    bytesUp: 10,
    bytesDown: 5,
    durationMs: 3,
  };
}

test('the activity keeps the newest rows up to its bound, and an end fills its row in', () => {
  const feed = new ActivityFeed(3);
  for (const id of ['a', 'b', 'c', 'd']) assert.equal(feed.apply(decided(id)), true);
  assert.deepEqual(
    feed.rows().map((r) => r.id),
    ['d', 'c', 'b'],
  );
  assert.equal(feed.apply(ended('a')), false, 'the end of a dropped row changes nothing');
  assert.equal(feed.apply(ended('c')), true);
  const c = feed.rows().find((r) => r.id === 'c')!;
  assert.deepEqual([c.outcome, c.status, c.bytes, c.reason], ['error', 502, 15, 'upstream reset']);
  assert.equal(feed.rows()[0]!.rule, 'the default');
});

test('sandbox rows: a state event changes its row, a create or remove asks for the list', () => {
  const list = new SandboxList();
  list.set([
    {
      kind: 'host',
      sandboxId: 'h-1',
      label: 'h',
      user: 'u',
      createdAt: '1',
      placeholders: {},
      host: '127.0.0.1',
      port: 1,
      proxyUrl: 'http://127.0.0.1:1',
      clientProxyUrl: 'http://warden:SECRET@127.0.0.1:1',
    },
  ]);
  assert.ok(!JSON.stringify(list.rows()).includes('SECRET'), 'no credential in a row');
  assert.equal(
    list.apply({
      type: 'sandbox.state',
      time: '',
      sandboxId: 'h-1',
      user: 'u',
      state: 'ERROR',
      previous: 'RUNNING',
      reason: 'x',
    }),
    'changed',
  );
  assert.deepEqual([list.rows()[0]!.state, list.rows()[0]!.reason], ['ERROR', 'x']);
  assert.equal(
    list.apply({
      type: 'sandbox.state',
      time: '',
      sandboxId: 'new',
      user: 'u',
      state: 'STARTING',
      previous: 'STOPPED',
    }),
    'refetch',
  );
  assert.equal(
    list.apply({ type: 'user.action', time: '', user: 'u', action: 'sandbox.remove', target: 'h-1' }),
    'refetch',
  );
  assert.equal(
    list.apply({ type: 'user.action', time: '', user: 'u', action: 'secret.set', target: 'K' }),
    undefined,
  );
  assert.equal(list.remove('h-1'), true);
  assert.equal(list.remove('h-1'), false);
  const vm = toSandboxRow({
    kind: 'vm',
    sandboxId: 'v',
    label: 'v',
    user: 'u',
    createdAt: '2',
    placeholders: {},
    state: 'RUNNING',
    image: { id: 'i', name: 'debian' },
    cpus: 2,
    diskMiB: 8192,
    agents: [],
    memoryMiB: 512,
    fromPool: false,
    proxyPort: 3,
    promptsLastHour: 4,
  });
  assert.equal(vm.detail, 'debian · 2 CPU · 512 MiB');
  assert.equal(vm.promptsLastHour, 4, 'the prompt rate crosses to the renderer');
  // A prompt shown counts toward its sandbox's rate: the list is asked for again.
  const pending = { type: 'approval.pending', time: '', sandboxId: 'v', user: 'u' };
  assert.equal(list.apply({ ...pending, approval: {} } as never), 'refetch');
});

test('the tray label', () => {
  assert.equal(trayLabel(false, 3), 'Warden: not connected');
  assert.equal(trayLabel(true, 0), 'Warden: 0 pending');
  assert.equal(trayLabel(true, 2), 'Warden: 2 pending');
});

test('the desktop app is running only while its lock names a live pid', (t) => {
  const dir = tempDir(t, 'warden-lock-');
  assert.equal(desktopAppRunning(dir), false, 'no lock');
  mkdirSync(path.join(dir, 'a'));
  symlinkSync(`host-${process.pid}`, path.join(dir, 'a', 'SingletonLock'));
  assert.equal(desktopAppRunning(path.join(dir, 'a')), true);
  mkdirSync(path.join(dir, 'b'));
  symlinkSync('host-999999999', path.join(dir, 'b', 'SingletonLock'));
  assert.equal(desktopAppRunning(path.join(dir, 'b')), false, 'a stale lock');
  mkdirSync(path.join(dir, 'c'));
  symlinkSync('host-notapid', path.join(dir, 'c', 'SingletonLock'));
  assert.equal(desktopAppRunning(path.join(dir, 'c')), false);
});

test('one notification per approval, closed when it goes; none when off or unsupported', () => {
  const made: Array<{ title: string; closed: boolean; click?: () => void }> = [];
  const make = (o: { title: string }): NotificationLike => {
    const n = { title: o.title, closed: false } as (typeof made)[number];
    made.push(n);
    return {
      show() {},
      close() {
        n.closed = true;
      },
      on(_e, fn) {
        n.click = fn;
      },
    };
  };
  let pref: 'auto' | 'on' | 'off' = 'auto';
  const clicked: string[] = [];
  const notifier = new ApprovalNotifier({
    make,
    pref: () => pref,
    desktopAppRunning: () => false,
    onClick: (id) => clicked.push(id),
  });
  const a = {
    id: 'ap-1',
    sandboxId: 'sb',
    method: 'GET',
    scheme: 'https',
    host: 'x',
    port: 443,
    path: '/',
    reason: 'r',
  } as ApprovalView;
  notifier.update([a]);
  notifier.update([a]);
  assert.equal(made.length, 1, 'a repeated list notifies once');
  made[0]!.click?.();
  assert.deepEqual(clicked, ['ap-1']);
  notifier.update([]);
  assert.equal(made[0]!.closed, true);
  pref = 'off';
  notifier.update([{ ...a, id: 'ap-2' }]);
  assert.equal(made.length, 1);
  const none = new ApprovalNotifier({
    make: undefined,
    pref: () => 'on',
    desktopAppRunning: () => false,
    onClick() {},
  });
  assert.deepEqual(none.view(), { pref: 'on', desktopAppRunning: false, supported: false, active: false });
});

test('the long work list keeps running tasks first and at most its bound, newest ended next', () => {
  const task = (id: string, state: TaskView['state'], startedAt: string, endedAt?: string): TaskView => ({
    id,
    kind: 'image.build',
    title: id,
    state,
    user: 'u',
    startedAt,
    ...(endedAt ? { endedAt } : {}),
    cancellable: state === 'running',
  });
  const list = new TaskList(3);
  list.set([
    task('old-done', 'done', '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z'),
    task('new-failed', 'failed', '2026-01-01T00:00:00Z', '2026-01-01T00:05:00Z'),
  ]);
  list.apply({ type: 'task.updated', task: task('run-b', 'running', '2026-01-01T00:03:00Z') });
  list.apply({ type: 'task.updated', task: task('run-a', 'running', '2026-01-01T00:02:00Z') });
  assert.deepEqual(
    list.rows().map((t) => t.id),
    ['run-a', 'run-b', 'new-failed'],
    'the oldest ended one went',
  );
  list.apply({
    type: 'task.updated',
    task: task('run-a', 'cancelled', '2026-01-01T00:02:00Z', '2026-01-01T00:06:00Z'),
  });
  assert.deepEqual(
    list.rows().map((t) => [t.id, t.state]),
    [
      ['run-b', 'running'],
      ['run-a', 'cancelled'],
      ['new-failed', 'failed'],
    ],
  );
  assert.equal(list.clear(), true);
  assert.equal(list.clear(), false, 'nothing left to clear');
});
