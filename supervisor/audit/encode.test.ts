// The byte encoder (encode.ts) against the string definitions: every event shape's body is
// the canonical JSON of its compact event byte for byte (canonicalJsonReference), and each
// row's pieces put together are canonicalRow.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestEvent, sampleEvents } from '../../test/support/audit/samples.ts';
import type { WardenEvent } from '../api/events.ts';
import { chainHashes } from './batch-chain.ts';
import { canonicalJsonReference } from './canonical.ts';
import { type ChainRow, canonicalRow, rowHash } from './chain.ts';
import { compactEvent, type StoredEvent } from './compact.ts';
import {
  BODY_AT,
  batchSize,
  bodyOf,
  columnsOf,
  type EncodedBatch,
  emptyBatch,
  encodeEvents,
  OFFSETS,
} from './encode.ts';

const LOGGED = 1_800_000_000_123;

const CTX = '{"device":{"hostname":"h"},"version":"1"}';

/** The stored row of encoded event `i`, as the writer makes it at `seq` after `prev`. */
function rowOf(batch: EncodedBatch, i: number, seq: number, prev: string): ChainRow {
  const c = columnsOf(batch, i);
  return {
    seq,
    time: c.time,
    kind: c.kind,
    sandbox_id: c.sandboxId,
    user: c.user,
    host: c.host,
    outcome: c.outcome,
    body: bodyOf(batch, i),
    ctx: CTX,
    logged: c.logged,
    prev_hash: prev,
  };
}

function shapes(): StoredEvent[] {
  return [
    ...sampleEvents(),
    requestEvent(1, {
      host: 'bücher.example',
      path: '/ünïcode/日本/😀',
      reason: 'quote " backslash \\ tab \t',
    }),
    requestEvent(2, { path: 'lone \ud800 surrogate', sandboxId: 'sb-\udfff', status: undefined }),
    requestEvent(4, { user: 'a"b', method: 'x\\y', id: '\u0001', address: 'é' }),
    requestEvent(5, { path: `/${'long-plain-ascii-path/'.repeat(5)}`, reason: `${'é'.repeat(30)}\u0000` }),
    requestEvent(3, {
      rule: {
        layer: 'project',
        source: '/p/warden.yaml',
        index: 0,
        match: 'ä.example.com',
        action: 'allow',
        methods: ['GET', 'POST'],
        paths: [],
        description: 'nested "quotes" and\nnewlines',
      },
    }),
    // Numbers of every form: digit-count edges, past 2^31 and 2^53, negative, -0, fractions, exponents.
    ...[0, 9, 10, 99, 100, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 1e21, -0, -1, -(2 ** 40), 0.5, 1.5e-7, 123.456].map(
      (n, i) =>
        requestEvent(10 + i, {
          bytesUp: n,
          durationMs: n,
          rule: { index: n, line: -n, action: 'allow' },
        } as never),
    ),
    {
      type: 'audit.checkpoint',
      time: 'not a time',
      user: 'warden',
      reason: 'r',
      pruned: { fromSeq: 1, throughSeq: 2, count: 2, lastHash: 'a', firstTime: 0, lastTime: 1 },
    },
  ] as StoredEvent[];
}

test('encoded bodies are the canonical compact event byte for byte, for every shape and for awkward strings', () => {
  const events = shapes();
  const batch = encodeEvents(events, LOGGED);
  assert.equal(batchSize(batch), events.length);
  for (const [i, event] of events.entries())
    assert.equal(bodyOf(batch, i), canonicalJsonReference(compactEvent(event)), `event ${i}`);
});

test('the pieces of a row, with prev_hash and seq put in, are its canonical row', () => {
  const events = shapes();
  // Appending to a batch across calls (the daemon's queue) keeps earlier events intact.
  const batch = emptyBatch();
  for (const event of events) encodeEvents([event], LOGGED, batch);
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.length);
  const prev = 'f'.repeat(64);
  events.forEach((_, i) => {
    const [start = 0, , middle, tail, end] = batch.offsets.slice(i * OFFSETS, (i + 1) * OFFSETS);
    const text = `{"ctx":${CTX}${bytes.toString('utf8', start, middle)}${prev}${bytes.toString('utf8', middle, tail)}${40 + i}${bytes.toString('utf8', tail, end)}`;
    assert.equal(text, canonicalRow(rowOf(batch, i, 40 + i, prev)), `event ${i}`);
    assert.equal(bytes.toString('utf8', start, start + BODY_AT), ',"event":');
  });
});

test('a malformed event throws a TypeError and leaves the batch as it was', () => {
  const batch = encodeEvents([requestEvent(1)], LOGGED);
  const state = () => ({
    length: batch.length,
    offsets: [...batch.offsets],
    refs: [...batch.refs],
    times: [...batch.times],
    strings: [...batch.strings],
    index: new Map(batch.index),
  });
  const before = state();
  assert.throws(
    () => encodeEvents([requestEvent(2), requestEvent(3, { bytesUp: Number.NaN })], LOGGED, batch),
    TypeError,
  );
  assert.throws(() => encodeEvents([{ type: 'nope' } as unknown as WardenEvent], LOGGED, batch), TypeError);
  assert.deepEqual(state(), before);
  assert.equal(bodyOf(batch, 0), canonicalJsonReference(compactEvent(requestEvent(1))));
});

test('chained hashes are rowHash of each row in turn, across seqs that gain a digit', () => {
  const events = shapes();
  const batch = encodeEvents(events, LOGGED);
  // Seqs 96..96+n cross 99 → 100; a second head crosses 9 → 10.
  for (const head of [
    { seq: 95, hash: 'a'.repeat(64) },
    { seq: 0, hash: '0'.repeat(64) },
  ]) {
    const hashes = chainHashes(batch, head, CTX);
    let prev = head.hash;
    events.forEach((_, i) => {
      const expected = rowHash(rowOf(batch, i, head.seq + 1 + i, prev));
      assert.equal(hashes[i], expected, `event ${i} after seq ${head.seq}`);
      prev = expected;
    });
  }
});
