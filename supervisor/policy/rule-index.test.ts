import assert from 'node:assert/strict';
import { test } from 'node:test';
import { project, req } from '../../test/support/policy.ts';
import type { RuleSpec } from '../api/policy-schema.ts';
import { ruleMatches } from './compiled-rule.ts';
import { hostFacts } from './host-name.ts';
import { normalizePath } from './path.ts';
import { RuleIndex } from './rule-index.ts';

const rules: RuleSpec[] = [
  { match: 'api.example.com', paths: ['/admin/**'], action: 'deny' },
  { match: '*.example.com', action: 'ask' },
  { match: 'api.example.com', action: 'allow' },
  { match: '**.corp.example', methods: ['GET'], action: 'allow' },
  { match: 'corp.example', action: 'deny' },
  { match: 'localhost', action: 'allow' },
  { match: '10.0.0.0/8', action: 'deny' },
  { match: '127.0.0.1', action: 'allow' },
  { match: 'https://secure.example.com:8443', action: 'allow' },
  { match: '*.a.b.example.com', action: 'deny' },
  { match: '*', paths: ['/health'], action: 'allow' },
  { match: 'API.Example.com', action: 'deny' },
];

const urls = [
  'https://api.example.com/admin/x',
  'https://api.example.com/repos',
  'https://www.example.com/',
  'https://x.y.example.com/',
  'https://example.com/',
  'http://a.b.corp.example/',
  'https://corp.example/',
  'https://x.corp.example/',
  'http://localhost:3000/',
  'http://10.2.3.4/',
  'http://127.0.0.1/',
  'https://secure.example.com:8443/',
  'https://secure.example.com/',
  'https://c.a.b.example.com/',
  'https://nowhere.test/health',
  'https://nowhere.test/',
  'http://[::ffff:10.0.0.1]/',
];

test('the index picks the rule a scan of every rule picks, for every host and method', () => {
  const policy = project(rules, { default: 'deny' });
  for (const url of urls) {
    for (const method of ['GET', 'POST']) {
      const facts = req(url, method);
      const host = hostFacts(facts.host);
      const ctx = {
        scheme: facts.scheme,
        host,
        port: facts.port,
        method,
        path: normalizePath(facts.path).path,
      };
      const scanned = policy.rules.find((r) => ruleMatches(r, ctx));
      assert.equal(
        policy.decideRequest(facts).rule?.index ?? null,
        scanned?.ref.index ?? null,
        `${method} ${url}`,
      );
      const candidates = new RuleIndex(policy.rules).candidates(host);
      assert.deepEqual(
        [...candidates],
        [...candidates].sort((a, b) => a - b),
        'in rule order',
      );
    }
  }
});

test('a host no name rule is filed under is tried only against the rules for any host', () => {
  const policy = project(rules);
  const index = new RuleIndex(policy.rules);
  const only = index.candidates(hostFacts('unrelated.test')).map((i) => policy.rules[i]?.ref.match);
  assert.deepEqual(only, ['10.0.0.0/8', '127.0.0.1', '*']);
});
