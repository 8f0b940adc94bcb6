import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubReply } from './hub-client.ts';
import { classify } from './outcome.ts';

const reply = (
  status: number,
  error?: Record<string, unknown>,
  headers: Record<string, string> = {},
): HubReply => ({
  status,
  headers,
  json: error ? { error } : null,
});

test('each hub answer maps to one action', () => {
  assert.equal(classify(reply(413, { name: 'BodyTooLarge', message: 'x' }), 'batch').action, 'shrink');
  assert.equal(classify(reply(401, { name: 'DeviceRevoked', message: 'gone' }), 'batch').action, 'revoked');
  assert.match(
    classify(reply(401, { name: 'DeviceRevoked', message: 'gone' }), 'batch').message,
    /revoked on the hub/,
  );
  assert.equal(classify(reply(403), 'batch').action, 'revoked');
  assert.deepEqual(classify(reply(409, { name: 'ChainFork', message: 'm', seq: 12 }), 'batch'), {
    action: 'fork',
    seq: 12,
    message: 'the hub holds a different record at seq 12: records were rewritten after they were synced: m',
  });
  const gap = classify(reply(409, { name: 'ChainGap', message: 'm', expectedSeq: 40 }), 'batch');
  assert.equal(gap.action === 'gap' && gap.expectedSeq, 40);
  assert.equal(classify(reply(400, { name: 'BadRequest', message: 'bad line' }), 'batch').action, 'park');
  assert.equal(classify(reply(404), 'batch').action, 'park');
  for (const status of [429, 500, 502, 503, 504, 408])
    assert.equal(classify(reply(status), 'batch').action, 'retry');
  const limited = classify(
    reply(429, { name: 'RateLimited', message: 'later' }, { 'retry-after': '7' }),
    'batch',
  );
  assert.equal(limited.action === 'retry' && limited.retryAfterMs, 7000);
});
