// Package asks IT answers (`spec.packages.npm.approver: it`): ask entries, installScripts: ask
// and firstSeen: ask carry the approver of the layer that set them, the organisation's IT ask
// is a floor a lower layer can neither allow nor turn into a local ask, and a lower deny still
// narrows it. The parser refuses an approver with no ask to answer.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NpmPackagesSpec } from '../api/packages-schema.ts';
import { parsePolicy } from '../policy/index.ts';
import { NpmRules } from './rules.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');

function rules(...layers: Array<['organisation' | 'project' | 'base', NpmPackagesSpec]>): NpmRules {
  return new NpmRules(layers.map(([layer, spec]) => ({ layer, source: `./${layer}.yaml`, spec })));
}

const v = (name: string, version: string, installScripts: string[] = []) => ({
  name,
  version,
  installScripts,
  attested: false,
  publishedAt: new Date(NOW - 30 * 86_400_000),
});

test("the organisation's installScripts ask for IT beats a lower layer's local ask and its allow", () => {
  const org: NpmPackagesSpec = { installScripts: 'ask', approver: 'it' };
  for (const lower of [{ installScripts: 'ask' as const }, { installScripts: 'allow' as const }, {}]) {
    const verdict = rules(['project', lower], ['organisation', org]).judge(
      v('esbuild', '0.24.0', ['postinstall']),
      NOW,
    );
    assert.equal(verdict.action, 'ask', JSON.stringify(lower));
    assert.ok(verdict.action === 'ask' && verdict.approver === 'it', JSON.stringify(lower));
    assert.match(
      verdict.action === 'ask' ? verdict.rule : '',
      /installScripts in the organisation layer/,
      JSON.stringify(lower),
    );
  }
  // A lower deny narrows it: the version is refused, nobody is asked.
  const denied = rules(['project', { installScripts: 'deny' }], ['organisation', org]).judge(
    v('esbuild', '0.24.0', ['postinstall']),
    NOW,
  );
  assert.equal(denied.action, 'deny');
  // A version without scripts is not asked about.
  assert.equal(rules(['organisation', org]).judge(v('lodash', '4.17.21'), NOW).action, 'allow');
});

test('an ask entry of the organisation names a package rule IT answers, whatever a lower layer asks', () => {
  const r = rules(
    ['project', { installScripts: 'ask', ask: [{ name: '@acme/*' }] }],
    [
      'organisation',
      { approver: 'it', ask: [{ name: '@acme/*', versions: '>=2', description: 'internal' }] },
    ],
  );
  const it = r.judge(v('@acme/deploy', '2.1.0', ['install']), NOW);
  assert.deepEqual(it, {
    action: 'ask',
    why: 'an ask entry names it "@acme/*@>=2" (internal)',
    rule: 'spec.packages.npm.ask[0] in the organisation layer (./organisation.yaml)',
    approver: 'it',
  });
  // Outside the organisation's range the project's own asks decide, answered locally.
  const local = r.judge(v('@acme/deploy', '1.0.0', ['install']), NOW);
  assert.equal(local.action, 'ask');
  assert.ok(local.action === 'ask' && local.approver === undefined);
  assert.match(local.action === 'ask' ? local.rule : '', /ask\[0\] in the project layer/);
  // A deny list still decides first.
  const r2 = rules(
    ['project', { deny: [{ name: '@acme/deploy' }] }],
    ['organisation', { approver: 'it', ask: [{ name: '@acme/*' }] }],
  );
  assert.equal(r2.judge(v('@acme/deploy', '2.0.0'), NOW).action, 'deny');
});

test('firstSeen asks for IT when the organisation says so; a lower approver-less firstSeen does not win', () => {
  const r = rules(['project', { firstSeen: 'ask' }], ['organisation', { firstSeen: 'ask', approver: 'it' }]);
  const verdict = r.judge(v('left-pad', '1.3.0'), NOW, () => false);
  assert.ok(verdict.action === 'ask' && verdict.approver === 'it');
  assert.equal(r.judge(v('left-pad', '1.3.0'), NOW, () => true).action, 'allow');
  // A lower layer may send its own asks to IT too (that narrows: the developer cannot answer).
  const lowerIt = rules(['project', { installScripts: 'ask', approver: 'it' }]);
  const asked = lowerIt.judge(v('x', '1.0.0', ['preinstall']), NOW);
  assert.ok(asked.action === 'ask' && asked.approver === 'it');
});

test('the parser refuses an approver with no ask of its layer to answer, and checks ask entries', () => {
  const yaml = (npm: string) =>
    `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: { name: p }\nspec:\n  packages:\n    npm: ${npm}\n`;
  assert.ok(parsePolicy(yaml('{ installScripts: ask, approver: it }'), 'p.yaml').ok);
  assert.ok(parsePolicy(yaml('{ ask: [{ name: "@acme/*" }], approver: it }'), 'p.yaml').ok);
  const lonely = parsePolicy(yaml('{ installScripts: deny, approver: it }'), 'p.yaml');
  assert.equal(lonely.ok, false);
  assert.match(
    JSON.stringify(lonely),
    /spec\.packages\.npm\.approver.*needs installScripts: ask, firstSeen: ask or an ask entry/,
  );
  const human = parsePolicy(yaml('{ installScripts: ask, approver: alice }'), 'p.yaml');
  assert.equal(human.ok, false);
  const badRange = parsePolicy(yaml('{ ask: [{ name: "x", versions: "not a range" }] }'), 'p.yaml');
  assert.equal(badRange.ok, false);
  assert.match(JSON.stringify(badRange), /spec\.packages\.npm\.ask\[0\]\.versions|ask.*versions/);
});
