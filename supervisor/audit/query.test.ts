import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { requestEvent, sampleEvents, T0, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { AuditStore } from './store.ts';

function withStore(fn: (store: AuditStore) => void) {
  const { dir, dispose } = makeTempDir();
  const store = AuditStore.open(path.join(dir, 'audit.db'), { device: TEST_DEVICE, durability: 'normal' });
  // 300 requests (sandbox sb-i%3, host h(i%4), denied when i%5==0, time T0 + i s) then the samples.
  store.appendBatch(Array.from({ length: 300 }, (_, i) => requestEvent(i)));
  store.appendBatch(sampleEvents());
  try {
    fn(store);
  } finally {
    store.close();
    dispose();
  }
}

test('pages are newest first by event time; following nextCursor visits every record exactly once', () => {
  withStore((store) => {
    const seen: number[] = [];
    let page = store.query({}, { limit: 70 });
    for (;;) {
      seen.push(...page.records.map((r) => r.seq));
      if (!page.nextCursor) break;
      page = store.query({}, { limit: 70, cursor: page.nextCursor });
    }
    assert.equal(seen.length, 312);
    // The samples (seq 301…312, times T0+11…T0+0 ms) sort before the requests (T0 + i s) by
    // time; request 0 (seq 1) ties with the first sample at T0 and comes after it (seq order).
    assert.deepEqual(
      seen.slice(0, 299),
      Array.from({ length: 299 }, (_, i) => 300 - i),
    );
    assert.deepEqual(
      seen.slice(299, 311),
      Array.from({ length: 12 }, (_, i) => 312 - i),
    );
    assert.equal(seen[311], 1);
    assert.equal(new Set(seen).size, 312);
  });
});

test('filters: sandbox, kind, host, outcome and time range, combined', () => {
  withStore((store) => {
    const sb1 = store.query({ sandbox: 'sb-1' }, { limit: 1000 }).records;
    assert.equal(
      sb1.length,
      100 + sampleEvents().filter((e) => 'sandboxId' in e && e.sandboxId === 'sb-1').length,
    );
    assert.ok(sb1.every((r) => r.sandboxId === 'sb-1'));
    const denied = store.query({ kind: 'request.decided', outcome: 'denied' }, { limit: 1000 }).records;
    assert.equal(denied.length, 60);
    const h2 = store.query({ host: 'h2.example.com', outcome: 'denied' }, { limit: 1000 }).records;
    assert.deepEqual(
      h2.map((r) => r.seq).sort((a, b) => a - b),
      Array.from({ length: 300 }, (_, i) => i)
        .filter((i) => i % 4 === 2 && i % 5 === 0)
        .map((i) => i + 1),
    );
    const window = store.query(
      { kind: 'request.decided', since: T0 + 10_000, until: T0 + 20_000 },
      { limit: 1000 },
    ).records;
    assert.deepEqual(
      window.map((r) => r.seq),
      Array.from({ length: 10 }, (_, i) => 20 - i),
    );
    assert.equal(store.query({ kind: 'secret.exfiltration_blocked' }).records.length, 1);
    assert.equal(store.query({ sandbox: 'nope' }).nextCursor, null);
  });
});

test('ascending pages and follow return records after a seq, oldest first', () => {
  withStore((store) => {
    const asc = store.query({ sandbox: 'sb-0' }, { order: 'asc', limit: 5 });
    assert.deepEqual(
      asc.records.map((r) => r.seq),
      [1, 4, 7, 10, 13],
    );
    assert.equal(asc.nextCursor, `${asc.records[4]?.time}.13`);
    assert.deepEqual(
      store.follow(305).map((r) => r.seq),
      [306, 307, 308, 309, 310, 311, 312],
    );
    assert.deepEqual(store.follow(312), []);
  });
});

test('a malformed cursor is refused; limits are clamped', () => {
  withStore((store) => {
    assert.throws(() => store.query({}, { cursor: '12; DROP TABLE records' }), RangeError);
    assert.throws(() => store.query({}, { cursor: '12' }), RangeError);
    assert.equal(store.query({}, { limit: 0 }).records.length, 1);
    assert.equal(store.query({}, { limit: 5000 }).records.length, 312);
  });
});
