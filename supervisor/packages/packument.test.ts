// The byte-splicing rewrite against the old parse-modify-stringify one (the oracle): for
// generated packuments (test/support/packument-generator.ts: random versions, times, scripts,
// attestations, dist-tags, escapes in every string and key, unicode, nested values, duplicate
// keys, odd whitespace) the answer parses to exactly the oracle's document, with the same
// versions removed for the same reasons; and a byte JSON.parse refuses is refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigPackument } from '../../test/bench/packages.ts';
import { randomPackument, rng } from '../../test/support/packument-generator.ts';
import { oldRewritePackument } from '../../test/support/packument-oracle.ts';
import { rewritePackument } from './packument.ts';
import { NpmRules } from './rules.ts';

const NOW = Date.parse('2026-12-07T06:00:00.000Z');

const RULES = [
  new NpmRules([{ layer: 'project', source: 't', spec: { minReleaseAgeDays: 7, installScripts: 'deny' } }]),
  new NpmRules([
    {
      layer: 'project',
      source: 't',
      spec: { deny: [{ name: 'pkg*', versions: '>=1.0.0 <2.0.0-0 || 0.1.x' }] },
    },
  ]),
  new NpmRules([{ layer: 'project', source: 't', spec: { provenance: 'require', installScripts: 'ask' } }]),
  new NpmRules([
    { layer: 'project', source: 't', spec: { allow: [{ name: 'pkg', versions: '^2.0.0-beta || <1' }] } },
  ]),
];

function same(text: string, name: string, rules: NpmRules, label: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let parsed: unknown;
  let parseError = false;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    parseError = true;
  }
  const mine = rewritePackument(bytes, name, rules, NOW);
  if (parseError) {
    assert.equal(mine.ok, false, `${label}: JSON.parse refuses it, so must the rewrite`);
    assert.match((mine as { reason: string }).reason, /is not JSON/, label);
    return;
  }
  const oracle = oldRewritePackument(parsed, name, rules, NOW);
  assert.equal(mine.ok, oracle.ok, `${label}: ${JSON.stringify(mine.ok ? '' : mine.reason)}`);
  if (!mine.ok || !oracle.ok) {
    assert.deepEqual(mine, oracle, label);
    return;
  }
  assert.deepStrictEqual(
    JSON.parse(mine.body.toString('utf8')),
    oracle.doc,
    `${label}: the documents differ`,
  );
  assert.deepStrictEqual(mine.removed, oracle.removed, `${label}: removed`);
  assert.equal(mine.kept, oracle.kept, label);
  assert.deepStrictEqual(mine.versions, oracle.versions, `${label}: version facts`);
}

test('generated packuments: the rewrite parses to exactly what the parse-modify-stringify oracle gives', () => {
  const r = rng(18);
  let removedSome = 0;
  for (let i = 0; i < 400; i++) {
    const name = r.pick(['pkg', '@scope/pkg', 'pkg-ü']);
    const text = randomPackument(r, name, NOW);
    const rules = RULES[i % RULES.length] as NpmRules;
    same(text, name, rules, `case ${i}`);
    const mine = rewritePackument(Buffer.from(text), name, rules, NOW);
    if (mine.ok && mine.removed.length > 0) removedSome++;
  }
  assert.ok(removedSome > 120, `the cases remove versions (${removedSome})`);
});

test('damaged packuments: refused exactly when JSON.parse refuses them, else the same answer', () => {
  const r = rng(1800);
  const junk = [
    ',',
    '}',
    ']',
    '{',
    '[',
    '"',
    '\\',
    '\u0001',
    ':',
    ' ',
    'a',
    '0',
    '-',
    '.',
    'e',
    '\ufeff',
    'tru',
  ];
  let refused = 0;
  for (let i = 0; i < 900; i++) {
    const text = randomPackument(r, 'pkg', NOW);
    const at = r.int(text.length);
    const kind = r.int(3);
    const damaged =
      kind === 0
        ? text.slice(0, at) + text.slice(at + 1)
        : kind === 1
          ? text.slice(0, at) + r.pick(junk) + text.slice(at)
          : text.slice(0, at);
    try {
      JSON.parse(damaged);
    } catch {
      refused++;
    }
    same(damaged, 'pkg', RULES[i % RULES.length] as NpmRules, `damaged case ${i}`);
  }
  assert.ok(refused > 450, `most damage is refused (${refused})`);
});

test('nothing removed and no duplicate keys: the very bytes are passed on', () => {
  const text =
    '{"name":"p", "versions":{"1.0.0":{"name":"p","version":"1.0.0"}},"time":{"1.0.0":"2020-01-01T00:00:00Z"}}';
  const bytes = Buffer.from(text);
  const r = rewritePackument(bytes, 'p', RULES[0] as NpmRules, NOW);
  assert.ok(r.ok);
  assert.equal(r.body, bytes);
});

test('nesting deeper than the scanner reads is refused, not a stack overflow', () => {
  const deep = `{"name":"p","versions":{},"x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
  const r = rewritePackument(Buffer.from(deep), 'p', RULES[0] as NpmRules, NOW);
  assert.equal(r.ok, false);
  assert.match((r as { reason: string }).reason, /not JSON \(nesting deeper than 10000 levels/);
});

const v = (n: string, ver: string, extra = '') =>
  `{"name":"${n}","version":"${ver}","dist":{"integrity":"sha512-A"}${extra}}`;
const OLD = '"2020-01-01T00:00:00.000Z"';

/** Odd documents written by hand: each one parses to the oracle's answer or is refused as it is. */
const ODD: Array<[string, string]> = [
  ['a byte-order mark (JSON.parse refuses it)', `\ufeff{"name":"p","versions":{}}`],
  [
    'a lone surrogate escaped in a key and a value',
    `{"name":"p","x\\ud800":"\\udfff","versions":{"1.0.0":${v('p', '1.0.0')}},"time":{"1.0.0":${OLD}}}`,
  ],
  [
    'the version key written with escapes',
    `{"name":"p","versions":{"\\u0031.0.0":${v('p', '1.0.0')},"2.0.0":${v('p', '2.0.0')}},"time":{"1.0.0":${OLD}}}`,
  ],
  [
    'the name written with escapes',
    `{"name":"\\u0070","versions":{"1.0.0":{"name":"\\u0070","version":"1.0.0"}}}`,
  ],
  [
    'unicode name',
    `{"name":"pkg-ü","versions":{"1.0.0":${v('pkg-ü', '1.0.0')},"1.0.1":${v('pkg-u', '1.0.1')}}}`,
  ],
  [
    'a version past 2^53',
    `{"name":"p","versions":{"9007199254740993.0.0":${v('p', '9007199254740993.0.0')},"1.0.0":${v('p', '1.0.0')}},"time":{"1.0.0":${OLD}}}`,
  ],
  [
    '__proto__ and constructor as versions',
    `{"name":"p","versions":{"__proto__":${v('p', '__proto__')},"constructor":{},"1.0.0":${v('p', '1.0.0')}},"dist-tags":{"latest":"__proto__"}}`,
  ],
  [
    'versions given twice, the last not an object',
    `{"name":"p","versions":{"1.0.0":${v('p', '1.0.0')}},"versions":[]}`,
  ],
  [
    'versions given twice, the last an object',
    `{"name":"p","versions":[],"versions":{"1.0.0":${v('p', '1.0.0')},"1.0.1":${v('p', '1.0.1')}},"time":{"1.0.1":"${new Date(NOW).toISOString()}"}}`,
  ],
  [
    'a version entry given twice (the first older)',
    `{"name":"p","versions":{"1.0.0":${v('p', '1.0.0', ',"scripts":{"install":"x"}')},"1.0.0":${v('p', '1.0.0')}}}`,
  ],
  [
    'scripts given twice inside an entry',
    `{"name":"p","versions":{"1.0.0":${v('p', '1.0.0', ',"scripts":{"install":"x","install":1}')}}}`,
  ],
  [
    'dist given twice inside an entry',
    `{"name":"p","versions":{"1.0.0":${v('p', '1.0.0', ',"dist":{"attestations":{}},"dist":{}')}}}`,
  ],
  ['the name given twice', `{"name":"q","name":"p","versions":{"1.0.0":${v('p', '1.0.0')}}}`],
  [
    'dist-tags not an object',
    `{"name":"p","dist-tags":[1],"versions":{"1.0.0":${v('p', '1.0.0', ',"scripts":{"install":"x"}')},"0.9.0":${v('p', '0.9.0')}}}`,
  ],
  [
    'numbers in odd forms',
    `{"name":"p","n":[-0,1E+2,0.5e-3,1e400],"versions":{"1.0.0":${v('p', '1.0.0', ',"x":-0.0e0')}}}`,
  ],
  ['a leading zero', `{"name":"p","n":01,"versions":{}}`],
  ['a trailing comma', `{"name":"p","versions":{"1.0.0":${v('p', '1.0.0')},}}`],
  ['a raw tab in a string', `{"name":"p\t","versions":{}}`],
  ['a bad escape', `{"name":"p","x":"\\x41","versions":{}}`],
  ['a short \\u escape', `{"name":"p","x":"\\u41","versions":{}}`],
  ['truncated in a key', `{"name":"p","versions":{"1.0`],
  ['truncated after a value', `{"name":"p","versions":{}`],
  ['two documents', `{"name":"p","versions":{}} {}`],
  ['not an object', `[{"name":"p","versions":{}}]`],
  ['empty', ''],
  ['whitespace JSON does not allow', `{"name":"p",\u00a0"versions":{}}`],
];

test('odd documents by hand: escapes, unicode, duplicate keys, odd numbers, truncation', () => {
  for (const [label, text] of ODD) {
    for (const rules of RULES) same(text, label.includes('unicode') ? 'pkg-ü' : 'p', rules, label);
  }
});

test("a huge packument (5,000 versions, 2.6 MiB) gives the oracle's answer", () => {
  const text = bigPackument(5_000, NOW);
  for (const rules of RULES.slice(0, 2)) same(text, 'big-package', rules, 'huge');
  const r = rewritePackument(Buffer.from(text), 'big-package', RULES[0] as NpmRules, NOW);
  assert.ok(r.ok && r.removed.length > 100 && r.kept > 4_000, 'the young and the scripted were removed');
});
