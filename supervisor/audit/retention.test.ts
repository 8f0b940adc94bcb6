import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Loose } from '../../test/support/audit/samples.ts';
import { requestEvent, T0, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { AuditRetentionError } from './errors.ts';
import { AuditStore } from './store.ts';
import { SyncLedger } from './sync-ledger.ts';

function withStore(n: number, fn: (store: AuditStore, file: string) => void) {
  const { dir, dispose } = makeTempDir();
  const file = path.join(dir, 'audit.db');
  // Clock: one hour after the first event; event i is at T0 + i s.
  const store = AuditStore.open(file, {
    device: TEST_DEVICE,
    durability: 'normal',
    now: () => T0 + 3_600_000,
  });
  store.appendBatch(Array.from({ length: n }, (_, i) => requestEvent(i)));
  try {
    fn(store, file);
  } finally {
    store.close();
    dispose();
  }
}

test('pruning by count keeps the chain verifiable through a checkpoint record', () => {
  withStore(100, (store) => {
    const before = store.get(60);
    const result = store.prune({ maxRecords: 40 });
    assert.equal(result.pruned, 60);
    assert.equal(result.throughSeq, 60);
    const cp = result.checkpoint;
    assert.ok(cp);
    assert.equal(cp.kind, 'audit.checkpoint');
    assert.equal(cp.seq, 101);
    assert.deepEqual((cp.ocsf.unmapped as Loose).pruned, {
      from_seq: 1,
      through_seq: 60,
      count: 60,
      last_hash: before?.hash,
      first_time: T0,
      last_time: T0 + 59_000,
    });
    assert.equal(store.get(60), null);
    assert.equal(store.count(), 41);
    const status = store.verify();
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.equal(status.startSeq, 61);
    assert.equal(status.records, 41);
    assert.equal(status.anchor.state, 'match');
    // Appends continue the chain after the checkpoint; a second prune chains again.
    store.appendBatch([requestEvent(200), requestEvent(201)]);
    assert.equal(store.prune({ maxRecords: 10 }).pruned, 33);
    assert.equal(store.verify().ok, true);
  });
});

test('pruning by age removes the records older than the cutoff', () => {
  withStore(100, (store) => {
    // now = T0 + 3600 s; keep the last 3570 s → records with time >= T0 + 30 s stay.
    const result = store.prune({ maxAgeMs: 3_570_000 });
    assert.equal(result.throughSeq, 30);
    assert.equal(store.verify().ok, true);
    assert.equal(store.prune({ maxAgeMs: 3_570_000 }).pruned, 0);
  });
});

test('pruning by size brings the database under the limit and never removes the head', () => {
  withStore(300, (store, file) => {
    const db = new Database(file, { readonly: true });
    const bytes = () =>
      ((db.pragma('page_count', { simple: true }) as number) -
        (db.pragma('freelist_count', { simple: true }) as number)) *
      (db.pragma('page_size', { simple: true }) as number);
    const before = bytes();
    const result = store.prune({ maxBytes: Math.floor(before / 3) });
    assert.ok(result.pruned > 150 && result.pruned < 300, String(result.pruned));
    assert.ok(bytes() < before / 2, `${bytes()} < ${before / 2}`);
    assert.equal(store.verify().ok, true);
    const all = store.prune({ maxRecords: 0 });
    assert.ok(all.pruned > 0);
    assert.equal(store.count(), 2, 'the old head and the checkpoint stay');
    assert.equal(store.verify().ok, true);
    db.close();
  });
});

test('retention refuses to prune records that do not verify (it would destroy evidence)', () => {
  withStore(50, (store, file) => {
    const db = new Database(file);
    db.prepare("UPDATE records SET user = 'mallory' WHERE seq = 12").run();
    db.close();
    assert.throws(
      () => store.prune({ maxRecords: 10 }),
      (e: unknown) => e instanceof AuditRetentionError && e.seq === 12,
    );
    assert.equal(store.count(), 50);
  });
});

test('deleting the checkpoint after a prune breaks verification', () => {
  withStore(30, (store, file) => {
    store.prune({ maxRecords: 10 });
    assert.equal(store.verify().ok, true);
    const db = new Database(file);
    db.prepare("DELETE FROM records WHERE kind = 'audit.checkpoint'").run();
    db.close();
    const status = store.verify();
    assert.equal(status.ok, false);
    assert.equal(status.firstBad?.seq, 20);
    assert.match(status.firstBad?.problem ?? '', /no retention checkpoint/);
  });
});

function enrollAt(file: string, ackedSeq: number): void {
  const ledger = SyncLedger.open(file);
  ledger.enroll({
    hubUrl: 'http://127.0.0.1:1',
    hubKey: 'hub+00000000+AQ==',
    origin: 'test',
    tlsPin: null,
    deviceId: '0'.repeat(32),
    ackedSeq,
    ackedHash: '0'.repeat(64),
    treeSize: 0,
    treeRoot: '',
    enrolled: 0,
  });
  ledger.close();
}

test('enrolled with the team hub: age and count limits keep what the hub has not acknowledged', () => {
  withStore(100, (store, file) => {
    enrollAt(file, 30);
    const db = new Database(file);
    const receipt = db.prepare(
      "INSERT INTO sync_receipts (seq, hash, tree_size, receipt, received) VALUES (?, '', 1, '{}', 0)",
    );
    receipt.run(20);
    receipt.run(30);
    receipt.run(50);
    const result = store.prune({ maxRecords: 10, maxAgeMs: 0 });
    assert.equal(result.throughSeq, 30, 'cut at the acknowledged seq, not at 90');
    assert.deepEqual(
      db.prepare('SELECT seq FROM sync_receipts').pluck().all(),
      [50],
      'receipts of removed records go',
    );
    db.close();
    assert.match(
      String((result.checkpoint?.ocsf.unmapped as Loose | undefined)?.reason),
      /not yet acknowledged/,
    );
    assert.equal(store.prune({ maxRecords: 10 }).pruned, 0, 'nothing more until the hub acknowledges');
    assert.equal(store.verify().ok, true);
  });
});

test('enrolled: the size cap still cuts unacknowledged records, and its checkpoint says so', () => {
  withStore(400, (store, file) => {
    enrollAt(file, 10);
    const result = store.prune({ maxBytes: 64 * 1024 });
    assert.ok(
      (result.throughSeq ?? 0) > 10,
      `the hard cap cut past the acknowledged seq: ${result.throughSeq}`,
    );
    assert.match(
      String((result.checkpoint?.ocsf.unmapped as Loose | undefined)?.reason),
      /team hub has not acknowledged/,
    );
    assert.equal(store.verify().ok, true);
  });
});
