import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endToEndRaw, endToEndRawHeaders } from './hop-headers.ts';

test('raw headers: hop-by-hop names and those a Connection header lists (any case, repeated) are dropped', () => {
  const raw = [
    'Content-Type',
    'text/plain',
    'CONNECTION',
    'keep-alive, X-Secret-Hop',
    'x-secret-hop',
    'dropped',
    'Connection',
    'X-Other',
    'X-Other',
    'dropped too',
    'Keep-Alive',
    'timeout=5',
    'Transfer-Encoding',
    'chunked',
    'X-Kept',
    'yes',
  ];
  const kept = ['Content-Type', 'text/plain', 'X-Kept', 'yes'];
  assert.deepEqual(endToEndRaw(raw), kept);
  // The same as asking with the header object's joined Connection value.
  assert.deepEqual(endToEndRawHeaders(raw, 'keep-alive, X-Secret-Hop, X-Other'), kept);
  assert.deepEqual(endToEndRaw(['Server', 'x']), ['Server', 'x']);
});
