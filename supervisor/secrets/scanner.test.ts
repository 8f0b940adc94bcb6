import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBodyScanner, findPlaceholders, PLACEHOLDER_LENGTH } from './index.ts';

const P1 = `wdn_ph_${'a1'.repeat(20)}`;
const P2 = `wdn_ph_${'0f'.repeat(20)}`;

test('findPlaceholders finds every distinct token in strings and buffers, in order', () => {
  const text = `Authorization: Bearer ${P1}\nx=${P2}&y=${P1} wdn_ph_short wdn_ph_${'Z'.repeat(40)}`;
  assert.deepEqual(findPlaceholders(text), [P1, P2]);
  assert.deepEqual(findPlaceholders(Buffer.from(text)), [P1, P2]);
  assert.deepEqual(findPlaceholders(''), []);
  assert.deepEqual(findPlaceholders(Buffer.alloc(0)), []);
  assert.deepEqual(findPlaceholders(`wdn_ph_wdn_ph_${'b'.repeat(40)}`), [`wdn_ph_${'b'.repeat(40)}`]);
  // Adjacent and at the very end.
  assert.deepEqual(findPlaceholders(Buffer.from(`${P2}${P1}`)), [P2, P1]);
  // One character short is not a placeholder.
  assert.deepEqual(findPlaceholders(Buffer.from(P1.slice(0, -1))), []);
});

test('the body scanner finds a placeholder split at every possible boundary, exactly once', () => {
  const body = Buffer.from(`{"token":"${P1}","n":1}`);
  for (let cut = 1; cut < body.length; cut++) {
    const scanner = createBodyScanner();
    const found = [...scanner.push(body.subarray(0, cut)), ...scanner.push(body.subarray(cut))];
    assert.deepEqual(found, [P1], `cut at ${cut}`);
  }
});

test('the body scanner handles one-byte chunks and several placeholders', () => {
  const body = Buffer.from(`a${P1}b${P2}c${P1}`);
  const scanner = createBodyScanner();
  const found: string[] = [];
  for (const byte of body) found.push(...scanner.push(Buffer.from([byte])));
  assert.deepEqual(found, [P1, P2, P1]);
});

test('the body scanner keeps only a bounded carry between large chunks', () => {
  const scanner = createBodyScanner();
  const big = Buffer.alloc(1 << 20, 0x61);
  assert.deepEqual(scanner.push(big), []);
  const half = PLACEHOLDER_LENGTH - 10;
  assert.deepEqual(scanner.push(Buffer.from(P2.slice(0, half))), []);
  assert.deepEqual(scanner.push(Buffer.concat([Buffer.from(P2.slice(half)), big])), [P2]);
});
