import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endToEndHeaders, endToEndRaw, endToEndRawHeaders } from './hop-headers.ts';

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

test('request headers: each Connection value lists its own names, however often it is seen', () => {
  const base = { accept: '*/*', 'x-a': '1', 'x-b': '2', 'keep-alive': 'timeout=5' };
  for (let round = 0; round < 3; round++) {
    assert.deepEqual(endToEndHeaders({ ...base, connection: 'keep-alive' }), {
      accept: '*/*',
      'x-a': '1',
      'x-b': '2',
    });
    assert.deepEqual(endToEndHeaders({ ...base, connection: 'X-A' }), { accept: '*/*', 'x-b': '2' });
    assert.deepEqual(endToEndHeaders({ ...base, connection: ['close', ' x-b '] }), {
      accept: '*/*',
      'x-a': '1',
    });
    assert.deepEqual(endToEndHeaders({ ...base }), { accept: '*/*', 'x-a': '1', 'x-b': '2' });
  }
  // Many distinct values (past the memo's bound) each still drop exactly their own names.
  for (let i = 0; i < 600; i++) {
    const out = endToEndHeaders({ [`x-${i}`]: 'v', 'x-a': '1', connection: `x-${i}` });
    assert.deepEqual(out, { 'x-a': '1' });
  }
});
