import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { canonicalJson } from './canonical.ts';
import { canonicalRow, GENESIS_HASH, jsonString, rowHash } from './chain.ts';

test('canonical JSON sorts keys at every depth, drops undefined, has no whitespace', () => {
  const text = canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined });
  assert.equal(text, '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
});

test('canonical JSON is independent of key insertion order and idempotent', () => {
  const one = canonicalJson({ x: 1, y: { p: 'é', q: '\u0001"\\' } });
  const two = canonicalJson({ y: { q: '\u0001"\\', p: 'é' }, x: 1 });
  assert.equal(one, two);
  assert.equal(canonicalJson(JSON.parse(one)), one);
});

test('canonical JSON refuses values JSON cannot hold exactly', () => {
  assert.throws(() => canonicalJson({ n: Number.NaN }), TypeError);
  assert.throws(() => canonicalJson({ f: () => 1 }), TypeError);
});

test('jsonString matches JSON.stringify for plain and awkward strings', () => {
  for (const s of ['plain', 'é ü 字', 'quote " here', 'back\\slash', 'tab\tnl\n', '\ud800 lone', '😀', '']) {
    assert.equal(jsonString(s), JSON.stringify(s));
  }
  assert.equal(jsonString(null), 'null');
});

test('canonicalRow equals the canonical JSON of the row and rowHash = sha256(prev_hash || canonical)', () => {
  const row = {
    seq: 7,
    time: 1700000000000,
    kind: 'user.action',
    sandbox_id: null,
    user: 'al"ice',
    host: 'h',
    outcome: null,
    ocsf: canonicalJson({ b: 2, a: 1 }),
    prev_hash: GENESIS_HASH,
  };
  const expected = canonicalJson({ ...row, ocsf: JSON.parse(row.ocsf) });
  assert.equal(canonicalRow(row), expected);
  assert.equal(
    rowHash(row),
    createHash('sha256')
      .update(GENESIS_HASH + expected)
      .digest('hex'),
  );
});
