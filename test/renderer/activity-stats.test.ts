import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityStore } from '../../renderer/stores/activity.ts';
import { ActivityStats, OTHER_HOSTS, rateKind } from '../../renderer/stores/activity-stats.ts';
import type {
  ApprovalPendingEvent,
  RequestDecidedEvent,
  RequestEndedEvent,
} from '../../supervisor/api/events.ts';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);

test('stats: requests per second by kind, per sandbox and for all, in a sliding window', () => {
  const s = new ActivityStats({ seconds: 10 });
  s.request('a', 'x.test', 'allowed', T0);
  s.request('a', 'x.test', 'allowed', T0 + 999);
  s.request('b', 'y.test', 'denied', T0 + 1000);
  s.request('b', 'y.test', 'waiting', T0 + 2500);
  s.failed('a', T0 + 2000);
  const all = s.rate('', T0 + 2000);
  assert.equal(all.x.length, 10);
  assert.equal(all.x.at(-1), T0 / 1000 + 2);
  // allowed, denied, waiting, error; the last three seconds.
  assert.deepEqual(
    all.y.map((k) => k.slice(-3)),
    [
      [2, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [0, 0, 1],
    ],
  );
  assert.deepEqual(
    s.rate('a', T0 + 2000).y.map((k) => k.slice(-3)),
    [
      [2, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 1],
    ],
  );
  // Nine seconds later the window has slid past the first two seconds.
  const later = s.rate('', T0 + 11_000);
  assert.equal(
    later.y.flat().reduce((a, b) => a + b, 0),
    2,
    'only second +2 (one waiting, one error) is still inside',
  );
  // A second already overwritten by a newer one is not counted into it.
  s.request('a', 'x.test', 'allowed', T0 + 20_000);
  s.request('a', 'x.test', 'allowed', T0 + 10_000);
  assert.equal(
    s.rate('a', T0 + 20_000).y[0]!.reduce((a, b) => a + b, 0),
    1,
  );
  assert.equal(
    s
      .rate('nobody', T0)
      .y.flat()
      .reduce((a, b) => a + b, 0),
    0,
  );
});

test('stats: top hosts by requests and by bytes, bounded', () => {
  const s = new ActivityStats({ maxHosts: 3, maxSandboxes: 1 });
  for (let i = 0; i < 5; i++) s.request('a', 'many.test', 'allowed', T0);
  s.request('a', 'big.test', 'allowed', T0, 9000);
  s.bytes('a', 'many.test', 100);
  s.request('a', 'waits.test', 'waiting', T0);
  assert.deepEqual(
    s.topHosts('', 'requests').map((h) => [h.host, h.requests]),
    [
      ['many.test', 5],
      ['big.test', 1],
    ],
    'waiting is not a request served yet',
  );
  assert.deepEqual(
    s.topHosts('a', 'bytes').map((h) => [h.host, h.bytes]),
    [
      ['big.test', 9000],
      ['many.test', 100],
    ],
  );
  // Past maxHosts, new hosts are counted together.
  s.request('a', 'fourth.test', 'allowed', T0);
  s.request('a', 'fifth.test', 'allowed', T0);
  s.request('a', 'sixth.test', 'allowed', T0);
  assert.ok(s.topHosts('', 'requests').some((h) => h.host === OTHER_HOSTS && h.requests === 2));
  // Past maxSandboxes, a new sandbox counts only under all.
  s.request('b', 'x.test', 'allowed', T0);
  s.request('c', 'x.test', 'allowed', T0);
  assert.deepEqual(s.topHosts('c', 'requests'), []);
  assert.equal(rateKind('timed_out'), 'denied');
  assert.equal(rateKind('error'), 'error');
});

const decided = (i: number, ms: number, outcome: RequestDecidedEvent['outcome'] = 'allowed') =>
  ({
    type: 'request.decided',
    id: `r${i}`,
    time: new Date(ms).toISOString(),
    sandboxId: 's1',
    user: 'u',
    method: 'GET',
    scheme: 'https',
    host: `h${i % 2}.test`,
    port: 443,
    path: `/${i}`,
    outcome,
    rule: null,
    reason: 'r',
    decidedBy: 'policy',
  }) satisfies RequestDecidedEvent;

test('activity store: charts get every event (paused or not), a time range filters the table', () => {
  const flushes: Array<() => void> = [];
  const redraws: Array<() => void> = [];
  const store = new ActivityStore({
    schedule: (fn) => flushes.push(fn),
    scheduleCharts: (fn) => redraws.push(fn),
  });
  for (let i = 0; i < 4; i++) store.ingest(decided(i, T0 + i * 1000));
  store.ingest({
    type: 'request.ended',
    id: 'r1',
    time: new Date(T0 + 1500).toISOString(),
    sandboxId: 's1',
    user: 'u',
    method: 'GET',
    scheme: 'https',
    host: 'h1.test',
    port: 443,
    path: '/1',
    outcome: 'error',
    reason: 'reset',
    bytesUp: 10,
    bytesDown: 5000,
    durationMs: 3,
  } satisfies RequestEndedEvent);
  store.ingest({
    type: 'approval.pending',
    time: new Date(T0 + 3000).toISOString(),
    sandboxId: 's1',
    user: 'u',
    approval: { host: 'ask.test' } as ApprovalPendingEvent['approval'],
  });
  flushes.shift()!();
  assert.equal(store.statsVersion, 0, 'the charts redraw on their own, slower schedule');
  assert.equal(redraws.length, 1);
  redraws.shift()!();
  assert.equal(store.statsVersion, 1);
  const rate = store.stats.rate('s1', T0 + 3000);
  assert.deepEqual(
    rate.y.map((k) => k.slice(-4)),
    [
      [1, 1, 1, 1],
      [0, 0, 0, 0],
      [0, 0, 0, 1],
      [0, 1, 0, 0],
    ],
  );
  assert.deepEqual(store.stats.topHosts('', 'bytes')[0], { host: 'h1.test', requests: 2, bytes: 5010 });
  store.setFilter('range', { from: T0 + 1000, to: T0 + 3000 });
  assert.deepEqual(
    store.rows.map((r) => r.path),
    ['/2', '/1'],
  );
  store.setFilter('range', null);
  // Paused: the table holds still, the charts keep counting.
  store.pause();
  store.ingest(decided(9, T0 + 3000, 'denied'));
  flushes.shift()!();
  redraws.shift()!();
  assert.equal(store.rows.length, 4);
  assert.equal(store.stats.rate('', T0 + 3000).y[1]!.at(-1), 1);
  store.clear();
  assert.deepEqual(store.stats.topHosts('', 'requests'), []);
});
