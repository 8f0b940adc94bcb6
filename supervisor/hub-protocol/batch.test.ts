import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { WardenError } from '../api/errors.ts';
import type { HubRecord } from '../api/hub.ts';
import { decodeBatch, encodeBatch, recordLine } from './batch.ts';

const record = (seq: number, body = '{"a":"é \\u0000 \\"q\\""}'): HubRecord => ({
  seq,
  time: 1_700_000_000_000 + seq,
  kind: 'request.decided',
  sandbox_id: 'sb-1',
  user: 'dev',
  host: 'example.com',
  outcome: 'allowed',
  body,
  ctx: '{"device":{"hostname":"m"},"version":"0.1.0"}',
  logged: 1_700_000_000_500,
  prev_hash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
});

const named = (name: string, pattern: RegExp) => (e: unknown) =>
  e instanceof WardenError && e.name === name && pattern.test(e.message);

test('a batch round-trips with every body byte kept', () => {
  const records = [record(7), record(8, '{"x":"\\ud83d\\ude00 \u2028"}'), record(9)];
  const back = decodeBatch(encodeBatch(records));
  assert.deepEqual(back, records);
  assert.equal(back[1]!.body, records[1]!.body);
});

test('a gzip bomb, too many records, bad gzip and malformed lines are refused by name', () => {
  const limits = { maxBatchBytes: 64 * 1024, maxBatchRecords: 10 };
  const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
  assert.ok(bomb.length < 20_000);
  assert.throws(() => decodeBatch(bomb, limits), named('BodyTooLarge', /inflates to more than/));
  const many = encodeBatch(Array.from({ length: 11 }, (_, i) => record(i + 1)));
  assert.throws(() => decodeBatch(many, limits), named('BodyTooLarge', /11 records/));
  assert.throws(() => decodeBatch(Buffer.from('not gzip'), limits), named('BadRequest', /gzip/));
  const lines = (...l: string[]) => gzipSync(`${l.join('\n')}\n`);
  assert.throws(() => decodeBatch(gzipSync(''), limits), named('BadRequest', /newline/));
  assert.throws(() => decodeBatch(lines(''), limits), named('BadRequest', /line 1 .*not JSON|no record/));
  assert.throws(() => decodeBatch(lines('{'), limits), named('BadRequest', /line 1 .* not JSON/));
  assert.throws(
    () => decodeBatch(lines(recordLine(record(1)), '[]'), limits),
    named('BadRequest', /line 2 .* not a record/),
  );
  const extra = JSON.stringify({ ...record(1), extra: 1 });
  assert.throws(() => decodeBatch(lines(extra), limits), named('BadRequest', /extra/));
  const badHash = JSON.stringify({ ...record(1), hash: 'B'.repeat(64) });
  assert.throws(() => decodeBatch(lines(badHash), limits), named('BadRequest', /hash/));
  assert.throws(
    () => decodeBatch(lines(recordLine(record(1)), recordLine(record(3))), limits),
    named('BadRequest', /seq 3 after 1/),
  );
  assert.throws(
    () => decodeBatch(lines(recordLine(record(2)), recordLine(record(1))), limits),
    named('BadRequest', /seq 1 after 2/),
  );
});
