import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { requestEvent, sampleEvents, T0, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { SEGMENT_SIZE } from './segments.ts';
import { AuditStore } from './store.ts';

function withStore(count: number, fn: (store: AuditStore) => void) {
  const { dir, dispose } = makeTempDir();
  const store = AuditStore.open(path.join(dir, 'audit.db'), { device: TEST_DEVICE, durability: 'normal' });
  // Requests at T0 + i s (sandbox sb-i%3, host h(i%4), denied when i%5==0), then the samples (T0 + a few ms).
  for (let at = 0; at < count; at += 5000)
    store.appendBatch(Array.from({ length: Math.min(5000, count - at) }, (_, i) => requestEvent(at + i)));
  store.appendBatch(sampleEvents());
  try {
    fn(store);
  } finally {
    store.close();
    dispose();
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

test('histogram: records per bucket and kind over [since, until), filters applied', () => {
  withStore(300, (store) => {
    const h = store.histogram({}, { since: T0, until: T0 + 300_000, buckets: 10 });
    assert.equal(h.bucketMs, 30_000);
    assert.deepEqual(h.starts.slice(0, 2), [T0, T0 + 30_000]);
    const decided = h.kinds.find((k) => k.kind === 'request.decided')!;
    assert.equal(h.kinds[0]!.kind, 'request.decided', 'most records first');
    // The samples' own request.decided records sit in the first bucket too.
    const samplesDecided = sampleEvents().filter((e) => e.type === 'request.decided').length;
    assert.deepEqual(decided.counts, [30 + samplesDecided, ...Array(9).fill(30)]);
    assert.equal(h.total, 300 + sampleEvents().length);
    // until is exclusive; a half-open sub-range.
    const mid = store.histogram({}, { since: T0 + 100_000, until: T0 + 110_000, buckets: 2 });
    assert.deepEqual(mid.kinds, [{ kind: 'request.decided', counts: [5, 5] }]);
    const denied = store.histogram(
      { outcome: 'denied', sandbox: 'sb-0' },
      { since: T0, until: T0 + 300_000, buckets: 1 },
    );
    // i%5==0 and i%3==0: i%15==0 → 20 records (the samples' sandboxes are not sb-0).
    assert.equal(denied.total, 20);
    assert.equal(
      store.histogram({ host: 'h1.example.com' }, { since: T0, until: T0 + 300_000, buckets: 3 }).total,
      75,
    );
    const empty = store.histogram({}, { since: T0 - 10_000, until: T0, buckets: 4 });
    assert.deepEqual(empty.kinds, []);
    assert.equal(empty.total, 0);
  });
});

test('histogram: sealed segments and the unsealed tail both counted, the rest of the chain skipped', () => {
  const n = SEGMENT_SIZE * 3 + 100;
  withStore(n, (store) => {
    const whole = store.histogram({}, { since: T0, until: T0 + n * 1000, buckets: 7 });
    assert.equal(whole.total, n + sampleEvents().length);
    // A range inside the second segment, one spanning a sealed segment and the tail, and the tail alone.
    const inside = store.histogram({}, { since: T0 + 1500_000, until: T0 + 1600_000, buckets: 4 });
    assert.equal(inside.total, 100);
    const across = store.histogram(
      {},
      { since: T0 + (SEGMENT_SIZE * 3 - 50) * 1000, until: T0 + n * 1000, buckets: 3 },
    );
    assert.equal(across.total, 150);
    const tail = store.histogram(
      {},
      { since: T0 + SEGMENT_SIZE * 3 * 1000 + 10_000, until: T0 + n * 1000, buckets: 3 },
    );
    assert.equal(tail.total, 90);
    assert.equal(sum(tail.kinds[0]!.counts), 90);
  });
});
