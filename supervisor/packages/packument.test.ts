// The byte-splicing rewrite against the old parse-modify-stringify one (the oracle): for
// generated packuments (random versions, times, scripts, attestations, dist-tags, escapes in
// every string and key, unicode, nested values, duplicate keys, odd whitespace) the answer
// parses to exactly the oracle's document, with the same versions removed for the same
// reasons; and a byte JSON.parse refuses is refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigPackument } from '../../test/bench/packages.ts';
import { oldRewritePackument } from '../../test/support/packument-oracle.ts';
import { rewritePackument } from './packument.ts';
import { NpmRules } from './rules.ts';

const NOW = Date.parse('2026-12-07T06:00:00.000Z');
const DAY = 86_400_000;

/** A small seeded generator (mulberry32): every run checks the same cases. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

const WS = [' ', '\t', '\n', '\r', '\n  '];
const CHARS = [
  'a',
  'z',
  ' ',
  '"',
  '\\',
  '/',
  '\n',
  '\u0001',
  '\u001f',
  'é',
  'ß',
  '中',
  '😀',
  '\u2028',
  '\ud800',
  '\u007f',
];

/** JSON text of a string, each character escaped or not at random (always when JSON needs it). */
function str(r: Rng, s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    const must = ch === '"' || ch === '\\' || code < 0x20;
    if (must || r.chance(0.08)) {
      const short: Record<string, string> = {
        '"': '\\"',
        '\\': '\\\\',
        '\n': '\\n',
        '\t': '\\t',
        '/': '\\/',
      };
      if (short[ch] && r.chance(0.5)) out += short[ch];
      else for (const unit of ch.split('')) out += `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

function ws(r: Rng): string {
  return r.chance(0.2) ? r.pick(WS) : '';
}

type Value = null | boolean | number | string | Value[] | { [k: string]: Value } | Raw;
/** A value written as it is (a number in an odd form, or an object with duplicate keys). */
class Raw {
  constructor(readonly text: string) {}
}

/** JSON text of a value with random whitespace and escapes. */
function write(r: Rng, v: Value): string {
  if (v instanceof Raw) return v.text;
  if (typeof v === 'string') return str(r, v);
  if (Array.isArray(v)) return `[${ws(r)}${v.map((x) => write(r, x)).join(`${ws(r)},${ws(r)}`)}${ws(r)}]`;
  if (v !== null && typeof v === 'object') {
    const members = Object.entries(v).map(
      ([k, x]) => `${ws(r)}${str(r, k)}${ws(r)}:${ws(r)}${write(r, x)}${ws(r)}`,
    );
    return `{${members.join(',')}${members.length === 0 ? ws(r) : ''}}`;
  }
  return JSON.stringify(v);
}

function randomText(r: Rng): string {
  let s = '';
  const n = r.int(8);
  for (let i = 0; i < n; i++) s += r.pick(CHARS);
  return s;
}

function nested(r: Rng, depth: number): Value {
  const kind = r.int(depth > 3 ? 4 : 6);
  if (kind === 0) return randomText(r);
  if (kind === 1) return r.pick([0, -1, 1.5, 1e21, -2.5e-7, 123456789]);
  if (kind === 2) return r.pick([true, false, null]);
  if (kind === 3) return new Raw(r.pick(['1E+2', '-0.5e-3', '0', '-0', '1e0', '2.50']));
  if (kind === 4) return Array.from({ length: r.int(4) }, () => nested(r, depth + 1));
  const o: Record<string, Value> = {};
  for (let i = r.int(4); i > 0; i--) o[randomText(r)] = nested(r, depth + 1);
  return o;
}

function randomVersion(r: Rng): string {
  if (r.chance(0.06))
    return r.pick([
      'latest',
      '1.0',
      '../x',
      'v1.0.0',
      '01.0.0',
      '1.0.0-',
      ' 1.0.0',
      'constructor',
      '__proto__',
    ]);
  let v = `${r.int(3)}.${r.int(4)}.${r.int(5)}`;
  if (r.chance(0.2))
    v += `-${r.pick(['beta', 'rc', 'alpha.1', '0', 'x-y'])}${r.chance(0.5) ? `.${r.int(3)}` : ''}`;
  if (r.chance(0.05)) v += `+${r.pick(['build', 'sha.abc', '001'])}`;
  return v;
}

function entry(r: Rng, name: string, version: string): Value {
  if (r.chance(0.03)) return r.pick<Value>([null, 'x', [1], 5]);
  const e: Record<string, Value> = {};
  if (!r.chance(0.03)) e.name = r.chance(0.04) ? r.pick<Value>(['other', null, 7]) : name;
  e.version = r.chance(0.04) ? r.pick<Value>(['9.9.9', 1, null]) : version;
  if (r.chance(0.5)) e.description = randomText(r);
  if (r.chance(0.4)) e.dependencies = { a: '^1.0.0', [randomText(r)]: '*' };
  if (r.chance(0.3)) {
    const scripts: Record<string, Value> = {};
    for (const s of ['preinstall', 'install', 'postinstall', 'test']) {
      if (r.chance(0.4))
        scripts[s] = r.chance(0.85) ? `node ${randomText(r)}` : r.pick<Value>([1, null, ['x']]);
    }
    e.scripts = r.chance(0.05) ? 'not an object' : scripts;
  }
  if (r.chance(0.15)) e.hasInstallScript = r.pick<Value>([true, false, 'true', 1]);
  if (!r.chance(0.05)) {
    const dist: Record<string, Value> = {
      tarball: `http://x/${name}/-/${name}-${version}.tgz`,
      integrity: r.chance(0.05) ? r.pick<Value>([7, 'x'.repeat(450)]) : `sha512-${randomText(r)}==`,
    };
    if (r.chance(0.4))
      dist.attestations = r.chance(0.9)
        ? { url: 'u', provenance: { predicateType: 'p' } }
        : r.pick<Value>([[], null, 'x']);
    e.dist = r.chance(0.03) ? 'nope' : dist;
  }
  if (r.chance(0.3)) e[randomText(r)] = nested(r, 0);
  return e;
}

/** An object's text with some keys given twice (JSON.parse keeps the last value, at the first place). */
function withDuplicates(r: Rng, members: Array<[string, Value]>): Raw {
  const out: Array<[string, Value]> = [];
  for (const m of members) {
    if (r.chance(0.06)) out.push([m[0], r.chance(0.5) ? m[1] : nested(r, 2)]);
    out.push(m);
  }
  return new Raw(`{${out.map(([k, v]) => `${ws(r)}${str(r, k)}${ws(r)}:${ws(r)}${write(r, v)}`).join(',')}}`);
}

function packument(r: Rng, name: string): string {
  const versions: Array<[string, Value]> = [];
  const time: Array<[string, Value]> = [['created', new Date(NOW - 400 * DAY).toISOString()]];
  for (let i = r.int(25) + 1; i > 0; i--) {
    const v = randomVersion(r);
    versions.push([v, entry(r, name, v)]);
    if (!r.chance(0.05)) {
      const age = r.pick([0.1, 2, 6.9, 7.1, 30, 400]) * DAY;
      time.push([
        v,
        r.chance(0.04) ? r.pick<Value>(['not a date', 5, null]) : new Date(NOW - age).toISOString(),
      ]);
    }
  }
  const tags: Record<string, Value> = {};
  if (versions.length > 0) tags.latest = (versions.at(-1) as [string, Value])[0];
  if (r.chance(0.4)) tags.next = randomVersion(r);
  // An own "__proto__" tag (an assignment would set the prototype, or nothing).
  if (r.chance(0.1))
    Object.defineProperty(tags, '__proto__', { value: randomVersion(r), enumerable: true, writable: true });
  const top: Array<[string, Value]> = [
    ['_id', name],
    ['name', r.chance(0.03) ? 'someone-else' : name],
  ];
  if (!r.chance(0.05)) top.push(['dist-tags', r.chance(0.05) ? 'x' : tags]);
  top.push(['versions', r.chance(0.02) ? [] : withDuplicates(r, versions)]);
  if (!r.chance(0.1)) top.push(['time', r.chance(0.05) ? 'x' : withDuplicates(r, time)]);
  if (r.chance(0.3)) top.push(['readme', randomText(r)], ['__proto__', { polluted: true }]);
  if (r.chance(0.2)) top.push([randomText(r), nested(r, 0)]);
  return `${ws(r)}${write(r, withDuplicates(r, top))}${ws(r)}`;
}

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
    const text = packument(r, name);
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
    const text = packument(r, 'pkg');
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
