// `provenance: prefer` steers npm to versions with provenance: the rule on its own, then through
// the packument rewrite (versions and time spliced, latest moved, full and abbreviated forms).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rewritePackument } from './packument.ts';
import { preferProvenance } from './provenance.ts';
import { NpmRules } from './rules.ts';

const NOW = Date.parse('2026-12-07T06:00:00.000Z');
const OLD = '2026-01-01T00:00:00.000Z';

function prefer(versions: string[], attested: string[]) {
  const a = new Set(attested);
  const p = preferProvenance(versions, (v) => a.has(v));
  return { removed: Object.fromEntries(p.removed), newest: p.newest };
}

test('an unattested version is removed when its line has an attested release, older or newer', () => {
  // The attack prefer is for: 1.4.0 published without provenance after 1.3.0 had it.
  assert.deepEqual(prefer(['1.0.0', '1.1.0', '1.3.0', '1.4.0', '1.5.0-rc.1', '2.0.0'], ['1.3.0']), {
    removed: { '1.0.0': '1.3.0', '1.1.0': '1.3.0', '1.4.0': '1.3.0', '1.5.0-rc.1': '1.3.0' },
    newest: '1.3.0',
  });
  // The stand-in is the newest attested release of the line; other lines are untouched.
  assert.deepEqual(prefer(['1.0.0', '1.2.0', '1.9.0', '3.0.0', '3.1.0'], ['1.0.0', '1.2.0', '3.1.0']), {
    removed: { '1.9.0': '1.2.0', '3.0.0': '3.1.0' },
    newest: '3.1.0',
  });
});

test('0.x lines are 0.minor, 0.0.x lines are the patch, as a caret range reads them', () => {
  assert.deepEqual(prefer(['0.3.1', '0.3.2', '0.4.0', '0.0.1', '0.0.2'], ['0.3.1', '0.0.1']), {
    removed: { '0.3.2': '0.3.1' },
    newest: '0.3.1',
  });
});

test('nothing attested, or only prereleases: nothing removed, nothing moves', () => {
  assert.deepEqual(prefer(['1.0.0', '1.1.0'], []), { removed: {}, newest: undefined });
  assert.deepEqual(prefer(['1.0.0', '2.0.0-beta.1'], ['2.0.0-beta.1']), { removed: {}, newest: undefined });
});

const RULES = new NpmRules([{ layer: 'project', source: 'p.yaml', spec: { provenance: 'prefer' } }]);
const AGED = new NpmRules([
  { layer: 'project', source: 'p.yaml', spec: { provenance: 'prefer', minReleaseAgeDays: 7 } },
]);

function entry(version: string, attested: boolean, abbreviated = false): Record<string, unknown> {
  return {
    name: 'pkg',
    version,
    dist: {
      integrity: `sha512-${version}`,
      tarball: `http://r/pkg/-/pkg-${version}.tgz`,
      ...(attested
        ? {
            attestations: {
              url: `http://r/-/npm/v1/attestations/pkg@${version}`,
              provenance: { predicateType: 'https://slsa.dev/provenance/v1' },
            },
          }
        : {}),
    },
    ...(abbreviated ? {} : { description: 'x' }),
  };
}

function doc(versions: Array<[string, boolean]>, latest: string, times?: Record<string, string>) {
  const v = Object.fromEntries(versions.map(([k, a]) => [k, entry(k, a, !times)]));
  return JSON.stringify({
    name: 'pkg',
    'dist-tags': { latest, next: '1.4.0' },
    versions: v,
    ...(times ? { time: { created: OLD, ...times } } : {}),
  });
}

test('the rewrite removes the unattested versions, moves latest, and keeps their facts for a lockfile', () => {
  const times = { '1.0.0': OLD, '1.3.0': OLD, '1.4.0': OLD, '2.0.0': OLD };
  const body = doc(
    [
      ['1.0.0', false],
      ['1.3.0', true],
      ['1.4.0', false],
      ['2.0.0', false],
    ],
    '2.0.0',
    times,
  );
  const r = rewritePackument(Buffer.from(body), 'pkg', RULES, NOW);
  assert.ok(r.ok);
  const out = JSON.parse(r.body.toString());
  assert.deepEqual(Object.keys(out.versions), ['1.3.0', '2.0.0']);
  assert.deepEqual(Object.keys(out.time), ['created', '1.3.0', '2.0.0']);
  assert.deepEqual(out['dist-tags'], { latest: '1.3.0' }, 'latest moved; next pointed at a removed version');
  assert.deepEqual(
    r.removed.map((x) => [x.version, x.why, x.rule]),
    ['1.0.0', '1.4.0'].map((v) => [
      v,
      'it has no provenance attestation; preferred: version with provenance 1.3.0',
      'spec.packages.npm.provenance in the project layer (p.yaml)',
    ]),
  );
  assert.equal(r.kept, 2);
  assert.equal(
    r.versions.get('1.4.0')?.preferred,
    '1.3.0',
    "a lockfile's tarball of 1.4.0 is known and allowed",
  );
  assert.equal(r.versions.get('1.3.0')?.preferred, undefined);
  assert.equal(
    RULES.judge({ name: 'pkg', version: '1.4.0', installScripts: [], attested: false }, NOW).action,
    'allow',
  );
});

test('the abbreviated form is steered the same way; an attested latest stays where it is', () => {
  const body = doc(
    [
      ['1.0.0', true],
      ['1.1.0', false],
      ['1.2.0', true],
    ],
    '1.0.0',
  );
  const r = rewritePackument(Buffer.from(body), 'pkg', RULES, NOW);
  assert.ok(r.ok);
  const out = JSON.parse(r.body.toString());
  assert.deepEqual(Object.keys(out.versions), ['1.0.0', '1.2.0']);
  assert.deepEqual(out['dist-tags'], { latest: '1.0.0' }, 'the publisher chose an attested latest');
});

test('no attested version: the very bytes pass; an attested version the other rules removed stands in for none', () => {
  const plain = Buffer.from(
    doc(
      [
        ['1.0.0', false],
        ['1.1.0', false],
      ],
      '1.1.0',
    ),
  );
  const r = rewritePackument(plain, 'pkg', RULES, NOW);
  assert.ok(r.ok && r.removed.length === 0);
  assert.equal(r.body, plain);

  const young = new Date(NOW - 3_600_000).toISOString();
  const body = doc(
    [
      ['1.0.0', false],
      ['1.1.0', true],
    ],
    '1.1.0',
    { '1.0.0': OLD, '1.1.0': young },
  );
  const aged = rewritePackument(Buffer.from(body), 'pkg', AGED, NOW);
  assert.ok(aged.ok);
  assert.deepEqual(
    Object.keys(JSON.parse(aged.body.toString()).versions),
    ['1.0.0'],
    'the young 1.1.0 is gone, 1.0.0 stays',
  );
  assert.deepEqual(JSON.parse(aged.body.toString())['dist-tags'], { latest: '1.0.0' });
});

test('a packument only prefer governs is rewritten by the proxy; tarballs are not judged for it', () => {
  assert.equal(RULES.governs, false, 'prefer removes no tarball');
  assert.equal(RULES.rewrites, true, 'but packuments are rewritten');
});
