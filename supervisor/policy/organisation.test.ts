// The organisation layer's merge semantics: its deny wins, a lower layer may narrow, a lower
// layer cannot weaken (rules, default, approval timeout), ask against allow, and the parts of
// a lower layer it overrides, named in the view.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { doc, req } from '../../test/support/policy.ts';
import type { RuleSpec } from '../api/policy-schema.ts';
import type { Action } from '../api/policy-types.ts';
import { findConflicts, refuseWeakening, sampleRequest } from './organisation.ts';
import { Policy, type PolicyLayer } from './policy.ts';

const ORIGIN = { kind: 'managed' as const, hash: `sha256:${'ab'.repeat(32)}`, signedBy: 'root' };

function org(rules: RuleSpec[], spec: { default?: Action; timeout?: number } = {}): PolicyLayer {
  return {
    layer: 'organisation',
    source: '/etc/warden/managed.yaml',
    document: doc(rules, spec),
    origin: ORIGIN,
  };
}

function lower(
  layer: 'base' | 'project' | 'session',
  rules: RuleSpec[],
  spec: { default?: Action; timeout?: number } = {},
): PolicyLayer {
  return { layer, source: layer === 'session' ? 'session' : `./${layer}.yaml`, document: doc(rules, spec) };
}

describe('organisation layer', () => {
  test('its deny wins over an allow in every lower layer', () => {
    const p = Policy.resolve([
      org([{ match: 'evil.example', action: 'deny', description: 'exfiltration host' }]),
      lower('base', [{ match: 'evil.example', action: 'allow' }]),
      lower('project', [{ match: '*.example', action: 'allow' }]),
      lower('session', [{ match: 'evil.example', methods: ['GET'], paths: ['/x/**'], action: 'allow' }]),
    ]);
    const d = p.decideRequest(req('https://evil.example/x/y'));
    assert.equal(d.action, 'deny');
    assert.equal(d.rule?.layer, 'organisation');
    assert.match(d.reason, /organisation policy \/etc\/warden\/managed\.yaml/);
    assert.match(d.reason, /cannot be weakened by rule 1 of the session answers/);
    // The tunnel and the address check apply the same floor.
    const c = p.decideConnect('evil.example', 443);
    assert.ok('action' in c && c.action === 'deny');
    // Another host under the project wildcard is still allowed: the rule is only overridden where they meet.
    assert.equal(p.decideRequest(req('https://good.example/')).action, 'allow');
  });

  test('a lower layer may narrow: its deny beats an organisation allow or ask', () => {
    const p = Policy.resolve([
      org([
        { match: 'api.github.com', action: 'allow' },
        { match: 'registry.npmjs.org', action: 'ask' },
      ]),
      lower('project', [
        { match: 'api.github.com', paths: ['/admin/**'], action: 'deny' },
        { match: 'registry.npmjs.org', action: 'deny' },
      ]),
    ]);
    assert.equal(p.decideRequest(req('https://api.github.com/admin/x')).action, 'deny');
    assert.equal(p.decideRequest(req('https://api.github.com/admin/x')).rule?.layer, 'project');
    assert.equal(p.decideRequest(req('https://api.github.com/repos')).action, 'allow');
    assert.equal(p.decideRequest(req('https://api.github.com/repos')).rule?.layer, 'organisation');
    assert.equal(p.decideRequest(req('https://registry.npmjs.org/x')).action, 'deny');
  });

  test('ask against allow: an organisation ask cannot become allow; a lower ask narrows an organisation allow', () => {
    const p = Policy.resolve([
      org([
        { match: 'registry.npmjs.org', action: 'ask' },
        { match: 'pypi.org', action: 'allow' },
      ]),
      lower('session', [
        { match: 'registry.npmjs.org', methods: ['GET'], paths: ['/left-pad'], action: 'allow' },
        { match: 'pypi.org', action: 'ask' },
      ]),
    ]);
    const npm = p.decideRequest(req('https://registry.npmjs.org/left-pad'));
    assert.equal(npm.action, 'ask');
    assert.equal(npm.rule?.layer, 'organisation');
    const pypi = p.decideRequest(req('https://pypi.org/simple/'));
    assert.equal(pypi.action, 'ask');
    assert.equal(pypi.rule?.layer, 'session');
  });

  test('settings: a lower default or timeout may only narrow the organisation', () => {
    const weaker = Policy.resolve([
      org([], { default: 'ask', timeout: 60 }),
      lower('project', [], { default: 'allow', timeout: 600 }),
    ]);
    assert.equal(weaker.defaultAction, 'ask');
    assert.equal(weaker.defaultSource, 'organisation');
    assert.equal(weaker.approvalTimeoutSeconds, 60);
    assert.equal(weaker.decideRequest(req('https://nowhere.example/')).action, 'ask');
    const narrower = Policy.resolve([
      org([], { default: 'ask', timeout: 60 }),
      lower('project', [], { default: 'deny', timeout: 10 }),
    ]);
    assert.equal(narrower.defaultAction, 'deny');
    assert.equal(narrower.defaultSource, 'project');
    assert.equal(narrower.approvalTimeoutSeconds, 10);
    // Without a lower default the organisation's applies, permissive or not.
    assert.equal(Policy.resolve([org([], { default: 'allow' })]).defaultAction, 'allow');
  });

  test('an organisation address deny wins over a lower allow of the address', () => {
    const p = Policy.resolve([
      org([{ match: '10.0.0.0/8', action: 'deny' }]),
      lower('session', [{ match: '10.1.2.3', action: 'allow' }]),
    ]);
    const check = p.checkAddress('10.1.2.3', req('http://10.1.2.3/'));
    assert.equal(check.action, 'deny');
    assert.equal(check.rule?.layer, 'organisation');
    const explained = p.explain(req('http://10.1.2.3/'));
    assert.equal(explained.decision.action, 'deny');
    assert.match(explained.trace.at(-1)?.why ?? '', /organisation policy decides more strictly/);
  });

  test('the view names what the organisation fixed and each lower part it overrides', () => {
    const p = Policy.resolve([
      org([{ match: 'evil.example', action: 'deny' }], { default: 'ask', timeout: 60 }),
      lower(
        'project',
        [
          { match: 'ok.example', action: 'allow' },
          { match: 'evil.example', action: 'allow' },
        ],
        {
          default: 'allow',
        },
      ),
    ]);
    const view = p.view().organisation;
    assert.ok(view);
    assert.equal(view.defaultAction, 'ask');
    assert.equal(view.approvalTimeoutSeconds, 60);
    assert.equal(view.origin?.signedBy, 'root');
    assert.deepEqual(
      view.ignored.map((c) => c.path),
      ['spec.network.default', 'spec.network.rules[1]'],
    );
    assert.match(view.ignored[1]?.message ?? '', /would allow what rule 1 of organisation policy/);
    assert.equal(Policy.resolve([lower('project', [])]).view().organisation, undefined);
  });

  test('conflicts: weakening is found, narrowing and partial overlaps are not', () => {
    const o = org([
      { match: '*.corp.example', action: 'deny' },
      { match: 'registry.npmjs.org', action: 'ask' },
    ]);
    const orgOnly = Policy.resolve([o]);
    const decide = (f: Parameters<Policy['decideRequest']>[0]) => orgOnly.decideRequest(f);
    const found = findConflicts(
      o,
      decide,
      lower('session', [
        { match: '*.corp.example', action: 'ask' },
        { match: 'registry.npmjs.org', methods: ['GET'], paths: ['/left-pad'], action: 'allow' },
        { match: 'registry.npmjs.org', action: 'deny' },
        { match: '*', action: 'allow' },
        { match: 'example.com', action: 'allow' },
      ]),
    );
    assert.deepEqual(
      found.map((c) => c.path),
      ['spec.network.rules[0]', 'spec.network.rules[1]'],
    );
    const error = refuseWeakening(found, 'the "always" answer');
    assert.equal(error.name, 'PolicyLockedByOrganisation');
    assert.match(error.message, /spec\.network\.rules\[0\].*\(and 1 more\)/);
    assert.match(error.hint ?? '', /rule 1 of organisation policy/);
    assert.equal(error.fields?.conflicts?.length, 2);
  });

  test('the sample request of a rule', () => {
    assert.deepEqual(
      sampleRequest({
        match: 'http://*.a.example:8080',
        methods: ['post'],
        paths: ['/v1/**'],
        action: 'allow',
      }),
      {
        scheme: 'http',
        host: 'sample.a.example',
        port: 8080,
        method: 'POST',
        path: '/v1/',
      },
    );
    assert.equal(sampleRequest({ match: '*', action: 'allow' }), null);
    assert.equal(sampleRequest({ match: '10.0.0.0/8', action: 'allow' })?.host, '10.0.0.0');
  });
});
