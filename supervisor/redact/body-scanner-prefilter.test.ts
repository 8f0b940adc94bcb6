// The cheap look before the full scan (Finder.mayMatch, TextWindow's quiet flush): a body cut
// into any chunks reads the same as in one piece, whatever falls on a flush's or a chunk's
// border, and what an escape hides from the look is still found.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BodyScanner } from './body-scanner.ts';
import { builtinFinders } from './detectors.ts';
import { type Finder, indexOfProbe, probeOf, regexFinder } from './finders.ts';
import { plainJson } from './json-text.ts';

const AWS = 'AKIAZ7QWERTYUIOPLKJH';
const GH = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;
const NPM = `npm_${'Ab3'.repeat(12)}`;

function finders(vault: string[] = []): Finder[] {
  return (['vault', 'cloud-keys', 'tokens', 'private-keys', 'email'] as const).flatMap((d) =>
    builtinFinders(d, 'mask', { values: vault }),
  );
}

const mask = (kind: string, value: string) => `[REDACTED:${kind}:${value.length}]`;

function run(body: Buffer, size: number, f: Finder[]): { out: string; counts: Record<string, number> } {
  const s = new BodyScanner({ finders: f, mask }, true);
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) parts.push(s.push(body.subarray(i, i + size)));
  parts.push(s.end());
  return { out: Buffer.concat(parts).toString('latin1'), counts: s.counts };
}

/** ~300 KB of prose and code with things to find (and look-alikes) every few KB. */
function body(): Buffer {
  const para = 'The build failed in "src/index.ts":\n  const max_tokens = f(url, { a: "b" });\n';
  const plants = [
    ` key ${AWS} `,
    ` x${AWS} `, // glued to a word: not a key
    ` \\u0041${AWS.slice(1)} `, // its first letter escaped
    ` mail bob\\u0040example.com `,
    `\\n${GH}\\t`,
    ` ${NPM} `,
    ' vault pa\\/ss-word1 ',
    ' at @types/node, user@ and @param ',
  ];
  let raw = '';
  for (let i = 0; raw.length < 300_000; i++) {
    raw += JSON.stringify(para)
      .slice(1, -1)
      .repeat(1 + (i % 37));
    raw += plants[i % plants.length];
  }
  return Buffer.from(`{"model":"m","messages":[{"role":"user","content":"${raw}"}]}`, 'latin1');
}

test('a long body masks the same in any chunks as in one piece, borders and escapes included', () => {
  const f = finders(['pa/ss-word1']);
  const b = body();
  const whole = run(b, b.length, f);
  const parsed = JSON.parse(whole.out) as { messages: Array<{ content: string }> };
  const content = parsed.messages[0]?.content as string;
  for (const gone of [AWS, AWS.slice(1), GH, NPM, 'bob@example.com', 'pa/ss-word1']) {
    assert.ok(!content.includes(` ${gone}`) && !content.includes(`\n${gone}`), `${gone} is masked`);
  }
  assert.ok(content.includes(` x${AWS} `), 'a key glued to a word is left');
  assert.ok(content.includes('@types/node, user@ and @param'));
  const kinds = Object.keys(whole.counts).sort();
  assert.deepEqual(kinds, ['cloud-keys', 'email', 'tokens', 'vault']);
  for (const size of [1, 977, 16384, 65536]) {
    const chunked = run(b, size, f);
    assert.equal(chunked.out, whole.out, `chunks of ${size}`);
    assert.deepEqual(chunked.counts, whole.counts, `chunks of ${size}`);
  }
});

test('a quiet stretch is sent as is; a key glued to a word at the flush border is left', () => {
  const f = finders();
  const quiet = 'word '.repeat(60_000);
  const s = (text: string) => Buffer.from(JSON.stringify({ content: text }));
  // One push: the first flush cuts the window's overlap before the end, so some trailing
  // length puts the key right at that cut, after a quiet flush that ended on the x.
  for (let tail = 16_400; tail < 16_460; tail += 1) {
    const b = s(`${quiet}x${AWS}${' '.repeat(tail)}`);
    const { out, counts } = run(b, b.length, f);
    assert.deepEqual(counts, {}, `a key glued to a word is left (tail ${tail})`);
    assert.equal(out, b.toString('latin1'));
  }
  const { counts } = run(s(`${quiet} ${AWS}${' '.repeat(20_000)}`), 4096, f);
  assert.deepEqual(counts, { 'cloud-keys': 1 });
});

test('a key whose letter is a \\u escape is found in an otherwise quiet body', () => {
  const quiet = 'word '.repeat(30_000);
  const raw = `{"content":"${quiet} \\u0041${AWS.slice(1)} \\u0062ob\\u0040example.com ${quiet}"}`;
  const { out, counts } = run(Buffer.from(raw), 16384, finders());
  assert.deepEqual(counts, { 'cloud-keys': 1, email: 1 });
  assert.ok(!(JSON.parse(out) as { content: string }).content.includes(AWS.slice(1)));
});

test('a probe looks for a literal from its rarest character and checks what comes before', () => {
  assert.deepEqual(probeOf('npm_'), { probe: '_', head: 'npm', back: 3 });
  assert.deepEqual(probeOf('eyJ'), { probe: 'J', head: 'ey', back: 2 });
  assert.deepEqual(probeOf('@'), { probe: '@', head: '', back: 0 });
  const p = probeOf('sk_live_');
  assert.equal(indexOfProbe('max_tokens rk_live_ sk_live_', p), 20);
  assert.equal(indexOfProbe('k_live_ sk_live_', p), 8, 'a probe at the very start has no head');
  assert.equal(indexOfProbe('max_tokens rk_live_', p), -1);
  assert.equal(indexOfProbe('sk_live_ sk_live_', p, 1), 9);
});

test('only the finders whose literal is in a window search it; a custom pattern always does', () => {
  const ticket = regexFinder('ticket', 'mask', 32, [/TICKET-[0-9]{6}/g]);
  const f = [...finders(), ticket];
  const quiet = 'word '.repeat(30_000);
  // An e-mail address makes the first windows search for e-mail only (besides the custom
  // pattern); the key and the ticket number sit in them too, and later alone.
  const raw = `{"content":"${quiet} ada@example.org ${AWS} TICKET-123456 ${quiet} ${AWS} TICKET-654321 ${quiet}"}`;
  for (const size of [1, 4096, 16384, raw.length]) {
    const { out, counts } = run(Buffer.from(raw), size, f);
    assert.deepEqual(counts, { email: 1, 'cloud-keys': 2, ticket: 2 }, `chunks of ${size}`);
    const content = (JSON.parse(out) as { content: string }).content;
    for (const gone of [AWS, 'TICKET-', 'ada@'])
      assert.ok(!content.includes(gone), `${gone} (chunks of ${size})`);
  }
});

test('a body is plain when no \\u escape could make an ASCII character', () => {
  assert.equal(plainJson('a\\n\\"b\\\\c'), true);
  assert.equal(plainJson('caf\\u00e9 \\u20ac \\u00'), true);
  assert.equal(plainJson('x\\u0041'), false);
  assert.equal(plainJson('x\\u007F'), false);
  assert.equal(plainJson('\\u00\\u0040'), false, 'after a look-alike');
  assert.equal(plainJson('x\\\\u0041'), false, 'an escaped backslash before u0041 is taken for one (safe)');
});
