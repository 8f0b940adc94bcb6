// A window whose finders all read raw JSON as decoded (Finder.rawSafe) is searched without
// decoding it: it must mask exactly what the decoded search masks, with every kind of escape
// right before, after and around what it finds, in any chunks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BodyScanner } from './body-scanner.ts';
import { builtinFinders } from './detectors.ts';
import type { Finder } from './finders.ts';

const mask = (kind: string, value: string) => `[REDACTED:${kind}:${value}]`;

function run(
  body: Buffer,
  size: number,
  f: readonly Finder[],
): { out: string; counts: Record<string, number> } {
  const s = new BodyScanner({ finders: [...f], mask }, true);
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) parts.push(s.push(body.subarray(i, i + size)));
  parts.push(s.end());
  return { out: Buffer.concat(parts).toString('latin1'), counts: s.counts };
}

/** The built-in detectors (no vault values: every one of them may read raw JSON), and how they were asked. */
function finders(asked: { raw: number; decoded: number }, rawSafe: boolean): Finder[] {
  return (['vault', 'cloud-keys', 'tokens', 'email'] as const)
    .flatMap((d) => builtinFinders(d, 'mask', { values: [] }))
    .map((f) => ({
      ...f,
      rawSafe: rawSafe && f.rawSafe === true,
      find(text: string, from: number, out: Parameters<Finder['find']>[2], raw?: boolean) {
        if (raw) asked.raw += 1;
        else asked.decoded += 1;
        f.find(text, from, out, raw);
      },
    }));
}

const THINGS = [
  'AKIAZ7QWERTYUIOPLKJH',
  'ACCA1234567890ABCDEF',
  `npm_${'Ab3'.repeat(12)}`,
  `rk_live_${'a1'.repeat(14)}`,
  `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`,
  `eyJhbGciOi.eyJzdWIiOi.${'s1gn'.repeat(4)}`,
  `wdn_ph_${'0a'.repeat(20)}`,
  'ada.l@example.org',
  'x@y.io',
];
const VALID = [
  '\\n',
  '\\t',
  '\\"',
  '\\\\',
  '\\/',
  '\\r',
  '\\b',
  '\\f',
  '\\u00e9',
  '\\uACCA',
  '\\ud83d\\ude00',
  '\\\\n',
  '\\\\\\n',
];
const GLUE = ['', ' ', 'x', 'n', 'u', '.', '-', '_', '0', 'A'];

/** Deterministic picks (a linear congruential generator), so a failure reproduces. */
function picker(seed: number): <T>(xs: readonly T[]) => T {
  let x = seed;
  return <T>(xs: readonly T[]) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return xs[x % xs.length] as T;
  };
}

/** Not JSON: backslashes that start no escape, kept as they are by the decoded reading too. */
const INVALID = ['\\g', '\\x', '\\', '\\uZZ', '\\e'];

function body(seed: number, invalid = false): Buffer {
  const pick = picker(seed);
  const ESCAPES = invalid ? [...VALID, ...INVALID] : VALID;
  let raw = '';
  while (raw.length < 40_000) {
    raw += 'The build failed in \\"src/index.ts\\" at line 42:\\n  const x = f(url);\\n'.repeat(
      pick([0, 1, 3]),
    );
    const thing = pick(THINGS);
    const cut = pick([0, 0, 0, 1, 2, 3]);
    raw += pick(ESCAPES) + pick(GLUE) + pick(ESCAPES);
    // Sometimes an escape inside the thing, or cutting its start off.
    raw += cut === 0 ? thing : thing.slice(0, cut) + pick(ESCAPES) + thing.slice(cut);
    // A backslash right before a thing whose letter it escapes: `\npm_…` is a newline and `pm_…`.
    if (/^[nr]/.test(thing) && pick([true, false])) raw += `\\${thing}`;
    if (invalid && pick([true, false])) raw += `\\${thing}`;
    raw += pick(ESCAPES) + pick(GLUE) + pick(ESCAPES);
  }
  return Buffer.from(
    `{"model":"m","messages":[{"role":"user","content":"${raw}"},{"role":"user","content":"x\\u00e9 ${THINGS[0]}"}]}`,
    'latin1',
  );
}

test('raw JSON is masked exactly as the decoded search masks it, escapes around every match', () => {
  const asked = { raw: 0, decoded: 0 };
  const rawFinders = finders(asked, true);
  const decodedFinders = finders({ raw: 0, decoded: 0 }, false);
  for (let seed = 1; seed <= 12; seed++) {
    const b = body(seed);
    JSON.parse(b.toString());
    const want = run(b, b.length, decodedFinders);
    assert.ok(
      Object.keys(want.counts).length >= 3,
      `seed ${seed} finds things: ${JSON.stringify(want.counts)}`,
    );
    JSON.parse(want.out);
    for (const size of [b.length, 16384, 977, 1]) {
      if (size === 1 && seed > 3) continue;
      const got = run(b, size, rawFinders);
      assert.equal(got.out, want.out, `seed ${seed}, chunks of ${size}`);
      assert.deepEqual(got.counts, want.counts, `seed ${seed}, chunks of ${size}`);
    }
  }
  assert.ok(asked.raw > 0, 'raw windows were searched as they are');
  // A body that is not JSON (a backslash before any character) reads the same both ways too.
  for (let seed = 20; seed <= 24; seed++) {
    const b = body(seed, true);
    const want = run(b, b.length, decodedFinders);
    for (const size of [b.length, 977])
      assert.equal(run(b, size, rawFinders).out, want.out, `seed ${seed} (${size})`);
  }
});

test('a \\u escape of an ASCII character, or a finder that cannot read raw JSON, makes the window decoded', () => {
  const asked = { raw: 0, decoded: 0 };
  const f = finders(asked, true);
  const key = 'AKIAZ7QWERTYUIOPLKJH';
  const escaped = Buffer.from(`{"c":"${'word '.repeat(10)}\\u0041${key.slice(1)} \\n${key}"}`);
  const { counts } = run(escaped, escaped.length, f);
  assert.deepEqual(counts, { 'cloud-keys': 2 });
  assert.deepEqual(asked, { raw: 0, decoded: 6 }, 'every finder searched the decoded text');
  // A vault value is found as a literal: not raw-safe, so its window is decoded.
  const vault = builtinFinders('vault', 'mask', { values: ['pa"ss-word1'] });
  assert.equal(vault[1]?.rawSafe, undefined);
  const v = Buffer.from(JSON.stringify({ c: `${key} and pa"ss-word1` }));
  assert.deepEqual(run(v, v.length, [...f, ...vault]).counts, { 'cloud-keys': 1, vault: 1 });
});
