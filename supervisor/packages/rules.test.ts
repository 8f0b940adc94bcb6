import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NpmPackagesSpec } from '../api/packages-schema.ts';
import { ageText, NpmRules } from './rules.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const HOUR = 3_600_000;

function rules(...layers: Array<[string, NpmPackagesSpec]>): NpmRules {
  return new NpmRules(
    layers.map(([layer, spec]) => ({ layer: layer as 'project', source: `./${layer}.yaml`, spec })),
  );
}

const v = (name: string, version: string, extra: Partial<Parameters<NpmRules['judge']>[0]> = {}) => ({
  name,
  version,
  installScripts: [],
  attested: false,
  publishedAt: new Date(NOW - 30 * 24 * HOUR),
  ...extra,
});

test('a version younger than minReleaseAgeDays is refused, saying how old it is and what the policy wants', () => {
  const r = rules(['project', { minReleaseAgeDays: 7 }]);
  const verdict = r.judge(v('left-pad', '2.0.0', { publishedAt: new Date(NOW - 3 * HOUR) }), NOW);
  assert.deepEqual(verdict, {
    action: 'deny',
    why: 'published 180 minutes ago; this policy wants 7 days'.replace('180 minutes', ageText(3 * HOUR)),
    rule: 'spec.packages.npm.minReleaseAgeDays in the project layer (./project.yaml)',
  });
  assert.match((verdict as { why: string }).why, /^published 3 hours ago; this policy wants 7 days$/);
  assert.equal(r.judge(v('left-pad', '1.0.0'), NOW).action, 'allow');
  assert.equal(
    r.judge(v('left-pad', '1.0.0', { publishedAt: undefined }), NOW).action,
    'deny',
    'unknown time fails closed',
  );
});

test('deny entries of every layer apply; names are globs and versions semver ranges', () => {
  const r = rules(
    ['session', { deny: [{ name: '@evil/*' }] }],
    ['base', { deny: [{ name: 'event-stream', versions: '3.3.6' }] }],
  );
  assert.equal(r.judge(v('@evil/x', '1.0.0'), NOW).action, 'deny');
  assert.equal(r.judge(v('event-stream', '3.3.6'), NOW).action, 'deny');
  assert.equal(r.judge(v('event-stream', '3.3.5'), NOW).action, 'allow');
  assert.equal(r.judge(v('@good/x', '1.0.0'), NOW).action, 'allow');
});

test('the most specific allow list decides, and the organisation list must match too', () => {
  const r = rules(
    ['project', { allow: [{ name: 'react*' }] }],
    ['base', { allow: [{ name: 'lodash' }] }],
    ['organisation', { allow: [{ name: 'react', versions: '>=18' }, { name: 'react-dom' }] }],
  );
  assert.equal(r.judge(v('react', '19.0.0'), NOW).action, 'allow');
  assert.equal(r.judge(v('react', '17.0.0'), NOW).action, 'deny', 'the organisation list narrows');
  assert.equal(
    r.judge(v('lodash', '4.0.0'), NOW).action,
    'deny',
    'the base list is overridden by the project',
  );
});

test('organisation settings are floors a lower layer cannot relax', () => {
  const r = rules(
    ['project', { minReleaseAgeDays: 1, installScripts: 'allow', provenance: 'prefer', firstSeen: 'allow' }],
    [
      'organisation',
      { minReleaseAgeDays: 7, installScripts: 'ask', provenance: 'require', firstSeen: 'ask' },
    ],
  );
  assert.equal(r.minAge?.value, 7);
  assert.equal(r.scripts?.value, 'ask');
  assert.equal(r.provenance?.value, 'require');
  assert.equal(r.firstSeen?.value, 'ask');
  const stricter = rules(['project', { minReleaseAgeDays: 14 }], ['organisation', { minReleaseAgeDays: 7 }]);
  assert.equal(stricter.minAge?.value, 14, 'a lower layer may narrow further');
});

test('install scripts, provenance and first-seen names', () => {
  const scripts = rules(['project', { installScripts: 'ask' }]);
  assert.deepEqual(scripts.judge(v('x', '1.0.0', { installScripts: ['postinstall'] }), NOW), {
    action: 'ask',
    why: 'it runs install scripts (postinstall)',
    rule: 'spec.packages.npm.installScripts in the project layer (./project.yaml)',
  });
  const prov = rules(['project', { provenance: 'require' }]);
  assert.equal(prov.judge(v('x', '1.0.0'), NOW).action, 'deny');
  assert.equal(prov.judge(v('x', '1.0.0', { attested: true }), NOW).action, 'allow');
  const first = rules(['project', { firstSeen: 'ask' }]);
  assert.equal(first.judge(v('x', '1.0.0'), NOW, () => false).action, 'ask');
  assert.equal(first.judge(v('x', '1.0.0'), NOW, () => true).action, 'allow');
});

test('registries: the public one always, more by host or host:port', () => {
  const r = rules(['project', { registries: ['npm.corp.example', '127.0.0.1:4873'] }]);
  assert.ok(r.isRegistry('registry.npmjs.org', 443));
  assert.ok(r.isRegistry('NPM.corp.example', 443));
  assert.ok(r.isRegistry('127.0.0.1', 4873));
  assert.ok(!r.isRegistry('127.0.0.1', 4874));
  assert.equal(rules().governs, false, 'without rules, registry traffic is only recorded');
});
