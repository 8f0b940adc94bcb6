// Policy.explain (the per-rule trace behind a decision) and Policy.view (the resolved rules
// and layers as the API shows them).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { doc, project, req } from '../../test/support/policy.ts';
import { Policy } from './policy.ts';

describe('explain', () => {
  const p = project([
    { match: '*.github.com', methods: ['GET', 'POST'], action: 'allow' },
    { match: 'api.github.com', paths: ['/repos/**'], action: 'ask' },
    { match: 'https://api.github.com:8443', action: 'deny' },
    { match: 'api.github.com', action: 'deny' },
    { match: '*', action: 'allow' },
  ]);
  test('says why each rule up to the deciding one did or did not match', () => {
    const { decision, trace } = p.explain(req('https://API.github.com/user', 'DELETE'));
    assert.equal(decision.action, 'deny');
    assert.equal(decision.rule?.index, 3);
    assert.deepEqual(
      trace.map((t) => [t.rule.index, t.matched, t.why]),
      [
        [0, false, 'method DELETE not in GET,POST'],
        [1, false, 'path /user matches none of /repos/**'],
        [2, false, 'port 443 is not 8443'],
        [3, true, 'host "api.github.com" matches "api.github.com"'],
      ],
    );
  });
  test('host mismatches are explained', () => {
    const { trace } = p.explain(req('https://a.b.github.com/'));
    assert.equal(
      trace[0]?.why,
      'host "a.b.github.com" does not match "*.github.com" ("*." matches exactly one label)',
    );
    assert.equal(trace.at(-1)?.rule.index, 4);
  });
  test('the decision always equals decideRequest', () => {
    for (const [url, method] of [
      ['https://api.github.com/repos/x', 'PUT'],
      ['https://api.github.com:8443/', 'GET'],
      ['http://gist.github.com/', 'POST'],
      ['https://example.com/', 'GET'],
    ] as const) {
      assert.deepEqual(p.explain(req(url, method)).decision, p.decideRequest(req(url, method)));
    }
  });
  test('no match: the trace covers every rule', () => {
    const q = project([{ match: 'a.com', action: 'allow' }]);
    const { decision, trace } = q.explain(req('https://b.com/'));
    assert.equal(decision.rule, null);
    assert.equal(trace.length, 1);
    assert.equal(trace[0]?.why, 'host "b.com" does not match "a.com"');
  });
});

describe('view', () => {
  test('lists rules most specific first with tls, default, timeout and layers', () => {
    const p = Policy.resolve([
      {
        layer: 'base',
        source: 'base.yaml',
        document: doc([{ match: 'b.com', action: 'deny' }], { timeout: 60 }),
      },
      {
        layer: 'project',
        source: 'p.yaml',
        document: doc([{ match: 'p.com', action: 'allow', tls: 'passthrough' }]),
      },
    ]);
    const view = p.view();
    assert.deepEqual(view.rules, [
      { layer: 'project', source: 'p.yaml', index: 0, match: 'p.com', action: 'allow', tls: 'passthrough' },
      { layer: 'base', source: 'base.yaml', index: 0, match: 'b.com', action: 'deny' },
    ]);
    assert.equal(view.approvalTimeoutSeconds, 60);
    assert.deepEqual(view.layers, [
      { layer: 'project', source: 'p.yaml', name: 'test', rules: 1 },
      { layer: 'base', source: 'base.yaml', name: 'test', rules: 1 },
    ]);
  });
});
