import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readJson } from './json-text.ts';

/** A JSON string literal of `value` with every character escaped in one of the ways JSON allows. */
function escaped(value: string, seed: number): string {
  let out = '"';
  let i = seed;
  for (const ch of value) {
    i = (i * 1103515245 + 12345) & 0x7fffffff;
    const code = ch.codePointAt(0) as number;
    if (i % 3 === 0 || ch === '"' || ch === '\\' || code < 0x20) {
      out += [...ch]
        .flatMap((c) => (c.length === 2 ? [c.charCodeAt(0), c.charCodeAt(1)] : [c.charCodeAt(0)]))
        .map((u) => `\\u${u.toString(16).padStart(4, '0')}`)
        .join('');
      if (code >= 0x10000) out = out.replace(/\\u(d[89ab])/g, (_m, h: string) => `\\u${h.toUpperCase()}`);
    } else if (i % 3 === 1 && ch === '/') out += '\\/';
    else out += ch;
  }
  return `${out}"`;
}

test('readJson reads each string as JSON.parse does, in UTF-8 bytes, and maps every escape', () => {
  const values = ['plain', 'a"b\\c/d\n\t\r\b\f', 'café 😀 \u0000 \\u0041', 'x'.repeat(50) + '\\"'];
  for (let seed = 1; seed < 40; seed++) {
    const parts = values.map((v) => escaped(v, seed));
    const raw = Buffer.from(`{"a":[${parts.join(',')}]}`, 'utf8').toString('latin1');
    const { text, spans, quotes } = readJson(raw);
    const strings = text.split('"');
    const parsed = JSON.parse(Buffer.from(raw, 'latin1').toString('utf8')) as { a: string[] };
    // Quotes decoded inside the strings split them too; compare the whole instead.
    const expected = `{"a":[${parsed.a.map((v) => `"${Buffer.from(v, 'utf8').toString('latin1')}"`).join(',')}]}`;
    assert.equal(text, expected, `seed ${seed}`);
    assert.ok(strings.length > 2);
    for (const s of spans) {
      assert.equal(raw[s.raw], '\\');
      assert.ok(s.rlen === 2 || s.rlen === 6 || s.rlen === 12);
    }
    // The structural quotes: 2 for the key and 2 per string.
    assert.equal(quotes.length, 2 + 2 * values.length);
    for (const q of quotes) assert.equal(text[q], '"');
  }
});

test('a backslash that starts no escape stays, and what follows it reads as usual', () => {
  assert.deepEqual(readJson('"a\\qb\\u12"').text, '"a\\qb\\u12"');
  assert.deepEqual(readJson('"\\\\u0041"').text, '"\\u0041"');
  assert.deepEqual(readJson('"\\u005c\\u0041"').text, '"\\A"');
});
