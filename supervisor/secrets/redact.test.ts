import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStreamRedactor, redactionNeedles, redactText } from './redact.ts';

const VALUE = 'sk-live/4f+1c 9e"x';
const needles = redactionNeedles([{ secret: 'KEY', value: VALUE }]);

function streamed(text: string, cuts: number[]): { out: string; found: string[] } {
  const found: string[] = [];
  const r = createStreamRedactor(needles, (s) => found.push(s));
  const input = Buffer.from(text);
  const parts: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    parts.push(r.push(input.subarray(from, cut)));
    from = cut;
  }
  parts.push(r.end());
  return { out: Buffer.concat(parts).toString(), found };
}

test('every form the value may come back in is overwritten, same length', () => {
  const forms = [
    VALUE,
    encodeURIComponent(VALUE),
    JSON.stringify(VALUE).slice(1, -1),
    Buffer.from(VALUE).toString('base64'),
  ];
  for (const form of forms) {
    const text = `before ${form} after`;
    const { text: out, found } = redactText(text, needles);
    assert.equal(out, `before ${'*'.repeat(form.length)} after`);
    assert.deepEqual(found, ['KEY']);
  }
  assert.deepEqual(redactText('nothing here', needles), { text: 'nothing here', found: [] });
});

test('a value cut across chunks at any point is redacted, and nothing else changes', () => {
  const text = `{"a":"Bearer ${VALUE}","b":"${VALUE}"}`;
  const expected = text.split(VALUE).join('*'.repeat(VALUE.length));
  for (let i = 0; i <= text.length; i++) {
    for (const j of [i, i + 1, i + 7]) {
      const { out, found } = streamed(text, [i, Math.min(j, text.length)]);
      assert.equal(out, expected, `cut at ${i}, ${j}`);
      assert.ok(found.includes('KEY'));
    }
  }
  const oneByte = streamed(text, [...Array(text.length).keys()].slice(1));
  assert.equal(oneByte.out, expected);
});

test('only a tail that starts a value is held back; other chunks pass at once', () => {
  const r = createStreamRedactor(needles, () => {});
  assert.equal(r.push(Buffer.from('data: hello\n\n')).toString(), 'data: hello\n\n');
  assert.equal(r.push(Buffer.from('x sk-li')).toString(), 'x ');
  assert.equal(r.push(Buffer.from('ne\n')).toString(), 'sk-line\n');
  assert.equal(r.end().length, 0);
});

test('a value inside a longer one is redacted with it across a cut', () => {
  const two = redactionNeedles([
    { secret: 'SHORT', value: 'abc' },
    { secret: 'LONG', value: 'abcdef' },
  ]);
  const found: string[] = [];
  const r = createStreamRedactor(two, (s) => found.push(s));
  const out = Buffer.concat([r.push(Buffer.from('xabcde')), r.push(Buffer.from('fy')), r.end()]);
  assert.equal(out.toString(), 'x******y');
  assert.ok(found.includes('LONG'));
});
