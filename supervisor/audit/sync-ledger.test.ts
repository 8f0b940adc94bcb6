import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import type { HubReceipt } from '../api/hub.ts';
import { RECEIPT_SPACING, RECEIPTS_RECENT, SyncLedger } from './sync-ledger.ts';

function receiptAt(seq: number): HubReceipt {
  return {
    checkpoint: 'note',
    leaf: { device: '0'.repeat(32), seq, hash: seq.toString(16).padStart(64, '0'), received: seq },
    leafIndex: seq,
    treeSize: seq + 1,
    inclusion: [],
    consistency: null,
  };
}

test('receipts stay bounded: the newest kept, older ones thinned to one per spacing', () => {
  const dir = makeTempDir();
  const ledger = SyncLedger.open(path.join(dir.dir, 'audit.db'));
  try {
    // 3,000 batches of 10 records: seqs 10 … 30,000.
    for (let i = 1; i <= 3000; i++) ledger.acknowledge(receiptAt(i * 10), 'root', i);
    ledger.thinReceipts();
    const kept = ledger.receipts().map((r) => r.seq);
    const newest = kept.slice(-RECEIPTS_RECENT);
    assert.equal(newest[0], 30_000 - (RECEIPTS_RECENT - 1) * 10);
    assert.equal(newest.at(-1), 30_000);
    // Older than the newest: the first of each RECEIPT_SPACING bucket.
    assert.deepEqual(kept.slice(0, -RECEIPTS_RECENT), [10, RECEIPT_SPACING, 2 * RECEIPT_SPACING]);
    // A proof of an old seq ends at the next kept receipt.
    assert.equal(ledger.receiptFrom(15)?.seq, RECEIPT_SPACING);
    assert.equal(ledger.receiptFrom(RECEIPT_SPACING + 1)?.seq, 2 * RECEIPT_SPACING);
    // Thinning again changes nothing.
    assert.equal(ledger.thinReceipts(), 0);
    // It also runs on its own as acknowledgements arrive.
    for (let i = 3001; i <= 3200; i++) ledger.acknowledge(receiptAt(i * 10), 'root', i);
    assert.ok(ledger.receiptCount() <= RECEIPTS_RECENT + 4 + 64, String(ledger.receiptCount()));
  } finally {
    ledger.close();
    dir.dispose();
  }
});
