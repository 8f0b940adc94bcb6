import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LruMap } from './lru.ts';

test('LruMap evicts the least recently used entry', () => {
  const lru = new LruMap<string, number>(2);
  lru.set('a', 1);
  lru.set('b', 2);
  assert.equal(lru.get('a'), 1);
  lru.set('c', 3);
  assert.equal(lru.has('b'), false);
  assert.equal(lru.get('a'), 1);
  assert.equal(lru.get('c'), 3);
  assert.equal(lru.size, 2);
  assert.throws(() => new LruMap(0), /capacity/);
});
