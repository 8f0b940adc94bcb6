import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDeepScanner, findPlaceholdersDeep, mayHoldPlaceholder } from './encoded-scan.ts';

const PH = `wdn_ph_${'0123456789abcdef0123456789abcdef01234567'}`;
const pct = (s: string) => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/** Every spelling the scanner must see through. */
function spellings(): Record<string, string> {
  const out: Record<string, string> = {
    raw: PH,
    upper: PH.toUpperCase(),
    mixed: `WdN_pH_${PH.slice(7).toUpperCase()}`,
    percent: pct(PH),
    'percent prefix only': `wdn%5Fph%5F${PH.slice(7)}`,
    'double percent': pct(PH).replace(/%/g, '%25'),
  };
  for (const lead of ['', 'a', 'ab']) {
    for (const body of [PH, PH.toUpperCase()]) {
      const b = Buffer.from(lead + body);
      const tag = `${lead.length}${body === PH ? '' : ' upper'}`;
      out[`base64 at ${tag}`] = b.toString('base64');
      out[`base64url at ${tag}`] = b.toString('base64url');
      out[`percent-encoded base64 at ${tag}`] = encodeURIComponent(b.toString('base64'));
    }
  }
  return out;
}

test('a placeholder is found in any case, percent-encoded and in base64 at every alignment', () => {
  for (const [name, text] of Object.entries(spellings())) {
    assert.deepEqual(findPlaceholdersDeep(`x=${text}&y=1`), [PH], name);
  }
  assert.deepEqual(findPlaceholdersDeep('nothing wdn_ph_short here, aGVsbG8gd29ybGQ='), []);
});

test('the quick prefilter lets every spelling through, and the same tokens are found from a string or its bytes', () => {
  for (const [name, text] of Object.entries(spellings())) {
    assert.equal(mayHoldPlaceholder(`x=${text}&y=1`), true, name);
  }
  // U+0168 is 0x68 ("h") as a latin1 byte: the prefilter must not skip what the byte scan finds.
  const folded = `wdn_p\u0168_${PH.slice(7)}`;
  assert.equal(mayHoldPlaceholder(folded), true);
  assert.deepEqual(findPlaceholdersDeep(folded), findPlaceholdersDeep(Buffer.from(folded, 'latin1')));
  assert.deepEqual(findPlaceholdersDeep(folded), [PH]);
  for (const clean of [
    '',
    'application/json',
    'curl/8.5.0',
    '127.0.0.1:8080',
    'keep-alive',
    '/v1/items?page=2',
  ]) {
    assert.equal(mayHoldPlaceholder(clean), false, clean);
    assert.deepEqual(findPlaceholdersDeep(clean), []);
  }
});

test('a streamed body is searched across chunk boundaries, after percent-decoding', () => {
  for (const [name, text] of Object.entries(spellings())) {
    if (name === 'double percent') continue; // bodies are decoded once
    const body = Buffer.from(`{"data":"${text}"}`);
    for (let cut = 1; cut < body.length; cut += 3) {
      const s = createDeepScanner();
      const found = [...s.push(body.subarray(0, cut)), ...s.push(body.subarray(cut)), ...s.end()];
      assert.deepEqual(found, [PH], `${name}, cut at ${cut}`);
    }
  }
});

test('a token is reported once per stream, and a clean stream reports nothing', () => {
  const s = createDeepScanner();
  assert.deepEqual(s.push(Buffer.from(`${PH} ${PH}`)), [PH]);
  assert.deepEqual(s.push(Buffer.from(` ${PH.toUpperCase()}`)), []);
  const clean = createDeepScanner();
  assert.deepEqual(clean.push(Buffer.alloc(100_000, 'h_%2')), []);
  assert.deepEqual(clean.end(), []);
});
