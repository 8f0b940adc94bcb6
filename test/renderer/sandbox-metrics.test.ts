import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WardenClient } from '../../renderer/client/client.ts';
import type { Clock } from '../../renderer/stores/approvals.ts';
import { SandboxMetricsStore } from '../../renderer/stores/sandbox-metrics.ts';
import type { SandboxMetrics } from '../../supervisor/api/sandbox-types.ts';

const clock: Clock = { now: () => 0, every: () => () => {} };
const client = {} as WardenClient;
const vm = (cpuSeconds: number, rssMiB: number, bytesDown: number): SandboxMetrics => ({
  sandboxId: 'vm1',
  kind: 'vm',
  cpuSeconds,
  rssBytes: rssMiB * 2 ** 20,
  memoryBytes: 512 * 2 ** 20,
  bytesUp: 0,
  bytesDown,
  requests: 0,
});

test('load: CPU % and rates from two samples; bounded; a sandbox that left is dropped', () => {
  const store = new SandboxMetricsStore(client, clock, 3);
  store.ingest({ time: 10_000, sandboxes: [vm(1, 300, 0)] });
  assert.equal(store.series('vm1'), undefined, 'one sample is no rate yet');
  store.ingest({ time: 12_000, sandboxes: [vm(2, 310, 4000)] });
  const s = store.series('vm1')!;
  assert.deepEqual(s.t, [12]);
  assert.equal(s.cpuPct[0], 50, '1 CPU second in 2 s');
  assert.equal(s.rssMiB[0], 310);
  assert.equal(s.downBps[0], 2000);
  for (let i = 1; i <= 4; i++)
    store.ingest({ time: 12_000 + i * 2000, sandboxes: [vm(2 + i * 2, 310, 4000)] });
  assert.equal(store.series('vm1')!.t.length, 3, 'keeps the last 3');
  assert.equal(store.series('vm1')!.cpuPct.at(-1), 100);
  // A host sandbox has no CPU: null, not zero.
  store.ingest({
    time: 22_000,
    sandboxes: [{ sandboxId: 'h1', kind: 'host', bytesUp: 0, bytesDown: 0, requests: 0 }],
  });
  assert.equal(store.series('vm1'), undefined, 'vm1 left the list');
  store.ingest({
    time: 24_000,
    sandboxes: [{ sandboxId: 'h1', kind: 'host', bytesUp: 10, bytesDown: 0, requests: 1 }],
  });
  assert.deepEqual(store.series('h1')!.cpuPct, [null]);
  assert.equal(store.series('h1')!.upBps[0], 5);
  // A restarted daemon's counters start again: no negative rate.
  store.ingest({
    time: 26_000,
    sandboxes: [{ sandboxId: 'h1', kind: 'host', bytesUp: 0, bytesDown: 0, requests: 0 }],
  });
  assert.equal(store.series('h1')!.upBps.at(-1), 0);
});
