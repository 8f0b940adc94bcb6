import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestEvent } from '../../test/support/audit/samples.ts';
import { chainHashes } from './batch-chain.ts';
import { GENESIS_HASH } from './chain.ts';
import { ChainAhead } from './chain-ahead.ts';
import { encodeEvents } from './encode.ts';

const CTX = '{"device":{"hostname":"t"}}';
const batch = (from: number, n = 3) =>
  encodeEvents(
    Array.from({ length: n }, (_, i) => requestEvent(from + i)),
    1,
  );

test('batches are chained one after another from the head the writer reported', () => {
  const ahead = new ChainAhead();
  assert.deepEqual(ahead.next(batch(0)), { m: 1, report: true }, 'no head yet: not chained, report asked');
  ahead.reported(1, { seq: 0, hash: GENESIS_HASH }, CTX);
  const a = batch(0);
  const b = batch(3);
  assert.deepEqual(ahead.next(a), { m: 2, report: false });
  assert.deepEqual(ahead.next(), { m: 3, report: false }, 'a message without a batch is numbered too');
  ahead.next(b);
  assert.deepEqual(a.chain?.hashes, chainHashes(a, { seq: 0, hash: GENESIS_HASH }, CTX).join(''));
  const after = a.chain?.hashes.slice(-64) as string;
  assert.deepEqual(b.chain, {
    baseSeq: 3,
    baseHash: after,
    hashes: chainHashes(b, { seq: 3, hash: after }, CTX).join(''),
  });
});

test('a report with messages still in flight pauses chaining until the writer has caught up', () => {
  const ahead = new ChainAhead();
  ahead.reported(0, { seq: 0, hash: GENESIS_HASH }, CTX);
  ahead.next(batch(0)); // 1
  ahead.next(batch(3)); // 2
  // Message 1 was stale (another process wrote): message 2 is in flight, chained wrongly too.
  ahead.reported(1, { seq: 7, hash: 'a'.repeat(64) }, CTX);
  assert.equal(ahead.chaining, false);
  const paused = batch(6);
  assert.deepEqual(ahead.next(paused), { m: 3, report: true });
  assert.equal(paused.chain, undefined, 'not chained while paused');
  ahead.reported(2, { seq: 10, hash: 'b'.repeat(64) }, CTX); // 3 still in flight
  assert.equal(ahead.chaining, false);
  ahead.reported(3, { seq: 13, hash: 'c'.repeat(64) }, CTX); // caught up
  assert.equal(ahead.chaining, true);
  const resumed = batch(9);
  assert.deepEqual(ahead.next(resumed), { m: 4, report: false });
  assert.equal(resumed.chain?.baseSeq, 13);
  assert.equal(resumed.chain?.baseHash, 'c'.repeat(64));
});
