import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fragment, JsonBytes } from './json-bytes.ts';

test('strings are written as the bytes of JSON.stringify, whatever they hold', () => {
  const samples = [
    '',
    'plain ascii',
    'quote " and backslash \\',
    'controls \u0000\u001f\n\t\u007f',
    'é ✓ 😀',
    'lone \ud800 and \udfff surrogates',
    '\u2028\u2029',
    'x'.repeat(100_000),
  ];
  for (const s of samples) {
    const w = new JsonBytes(16); // grows from the smallest buffer
    w.string(s);
    assert.deepEqual(w.bytes(), Buffer.from(JSON.stringify(s)), JSON.stringify(s.slice(0, 40)));
    assert.equal(JSON.parse(w.toString()), s);
  }
});

test('fragments, bytes and text interleave in order across growth', () => {
  const w = new JsonBytes(16);
  const open = fragment('{"a":[');
  let expected = '{"a":[';
  w.raw(open);
  for (let i = 0; i < 2000; i++) {
    if (i) w.byte(0x2c);
    w.ascii(String(i));
    w.byte(0x2c);
    w.string(`é${i}"`);
    w.byte(0x2c);
    w.utf8(JSON.stringify({ k: 'ü' }));
    expected += `${i ? ',' : ''}${i},${JSON.stringify(`é${i}"`)},{"k":"ü"}`;
  }
  w.raw(fragment(']}'));
  expected += ']}';
  assert.equal(w.toString(), expected);
  assert.equal(w.length, Buffer.byteLength(expected));
  JSON.parse(w.toString());
});

test('a fragment must be printable ASCII', () => {
  assert.throws(() => fragment('é'), /ASCII/);
});
