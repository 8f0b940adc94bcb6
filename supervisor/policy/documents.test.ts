// suggestRule, emptyPolicy and prependRule (documents.ts), and that a suggested rule matches
// the request it came from.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { doc, req } from '../../test/support/policy.ts';
import { emptyPolicy, prependRule, suggestRule } from './documents.ts';
import { Policy } from './policy.ts';

describe('suggestRule, emptyPolicy, prependRule', () => {
  test('suggests the exact host, the method and the first two segments', () => {
    assert.deepEqual(suggestRule(req('https://API.github.com/repos/acme/widgets/issues', 'post')), {
      match: 'api.github.com',
      methods: ['POST'],
      paths: ['/repos/acme/**'],
    });
    assert.deepEqual(suggestRule(req('https://x.com/user')), {
      match: 'x.com',
      methods: ['GET'],
      paths: ['/user'],
    });
    assert.deepEqual(suggestRule(req('http://x.com:8080/a/b')).match, 'x.com:8080');
    assert.deepEqual(suggestRule(req('http://[::1]:3000/')).match, '[::1]:3000');
    assert.deepEqual(suggestRule(req('https://x.com:443/')).match, 'x.com');
    assert.deepEqual(suggestRule(req('http://x.com:443/')).match, 'x.com:443');
  });
  test('the suggested rule matches the request it came from', () => {
    const facts = req('https://api.github.com/repos/acme/widgets/issues', 'POST');
    const p = Policy.resolve([
      {
        layer: 'session',
        source: 'session',
        document: prependRule(emptyPolicy('session'), { ...suggestRule(facts), action: 'allow' }),
      },
    ]);
    assert.equal(p.decideRequest(facts).action, 'allow');
    assert.equal(p.decideRequest({ ...facts, path: '/repos/other/x' }).action, 'ask');
  });
  test('prependRule returns a new document with the rule first and drops an older same-identity rule', () => {
    const before = doc([
      { match: 'a.com', methods: ['GET'], action: 'deny' },
      { match: 'b.com', action: 'allow' },
    ]);
    const after = prependRule(before, { match: 'a.com', methods: ['get'], action: 'allow' });
    assert.deepEqual(after.spec.network?.rules, [
      { match: 'a.com', methods: ['get'], action: 'allow' },
      { match: 'b.com', action: 'allow' },
    ]);
    assert.equal(before.spec.network?.rules?.length, 2);
    assert.equal(before.spec.network?.rules?.[0]?.action, 'deny');
    const third = prependRule(after, { match: 'c.com', action: 'ask' });
    assert.deepEqual(
      third.spec.network?.rules?.map((r) => r.match),
      ['c.com', 'a.com', 'b.com'],
    );
  });
  test('emptyPolicy is a valid document', () => {
    const d = emptyPolicy('session');
    assert.equal(d.metadata.name, 'session');
    assert.deepEqual(d.spec.network?.rules, []);
  });
});
