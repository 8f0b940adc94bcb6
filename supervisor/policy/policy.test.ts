// Policy.resolve and decideRequest: layers, defaults, reasons and each kind of condition.
// decideConnect and checkAddress: policy-connect.test.ts; explain and view:
// policy-explain.test.ts; suggestRule and friends: documents.test.ts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { doc, project, req } from '../../test/support/policy.ts';
import type { RuleSpec } from '../api/policy-schema.ts';
import { parsePolicy } from './parse.ts';
import { Policy, type PolicyLayer } from './policy.ts';

describe('decideRequest', () => {
  test('first matching rule wins, in document order', () => {
    const p = project([
      { match: 'api.github.com', paths: ['/admin/**'], action: 'deny' },
      { match: 'api.github.com', action: 'allow' },
      { match: '*', action: 'deny' },
    ]);
    assert.equal(p.decideRequest(req('https://api.github.com/admin/x')).action, 'deny');
    assert.equal(p.decideRequest(req('https://api.github.com/admin/x')).rule?.index, 0);
    assert.equal(p.decideRequest(req('https://api.github.com/repos')).action, 'allow');
    assert.equal(p.decideRequest(req('https://api.github.com/repos')).rule?.index, 1);
    assert.equal(p.decideRequest(req('https://example.com/')).rule?.index, 2);
  });

  test('layer precedence: session, then project, then base, whatever order they are given in', () => {
    const layers: PolicyLayer[] = [
      { layer: 'base', source: '/etc/warden/base.yaml', document: doc([{ match: 'x.com', action: 'deny' }]) },
      { layer: 'project', source: './policy.yaml', document: doc([{ match: 'x.com', action: 'ask' }]) },
      { layer: 'session', source: 'session', document: doc([{ match: 'x.com', action: 'allow' }]) },
    ];
    const full = Policy.resolve(layers);
    assert.equal(full.decideRequest(req('https://x.com/')).action, 'allow');
    assert.equal(full.decideRequest(req('https://x.com/')).rule?.layer, 'session');
    assert.deepEqual(
      full.view().rules.map((r) => r.layer),
      ['session', 'project', 'base'],
    );
    const noSession = Policy.resolve([layers[0]!, layers[1]!]);
    assert.equal(noSession.decideRequest(req('https://x.com/')).action, 'ask');
    const baseOnly = Policy.resolve([layers[0]!]);
    assert.equal(baseOnly.decideRequest(req('https://x.com/')).action, 'deny');
  });

  test('default and approval timeout come from the most specific layer that sets them', () => {
    const builtin = project([]);
    assert.equal(builtin.defaultAction, 'ask');
    assert.equal(builtin.approvalTimeoutSeconds, 120);
    assert.equal(builtin.view().defaultSource, 'builtin');
    const p = Policy.resolve([
      { layer: 'base', source: 'base.yaml', document: doc([], { default: 'deny', timeout: 30 }) },
      { layer: 'project', source: 'p.yaml', document: doc([], { default: 'allow' }) },
      { layer: 'session', source: 'session', document: doc([]) },
    ]);
    assert.equal(p.defaultAction, 'allow');
    assert.equal(p.view().defaultSource, 'project');
    assert.equal(p.approvalTimeoutSeconds, 30);
    const d = p.decideRequest(req('https://nothing.example/'));
    assert.equal(d.action, 'allow');
    assert.equal(d.rule, null);
    assert.equal(d.reason, 'no rule matches; the default is allow (set by project policy p.yaml)');
    assert.equal(
      builtin.decideRequest(req('https://x.example/')).reason,
      'no rule matches; the default is ask',
    );
  });

  test('reason names the rule, its layer, file, line and conditions', () => {
    const text = [
      'apiVersion: warden.dev/v1',
      'kind: Policy',
      'metadata:',
      '  name: demo',
      'spec:',
      '  network:',
      '    rules:',
      '      - match: example.org',
      '        action: deny',
      '      - match: "*.github.com"',
      '        methods: [GET, POST]',
      '        paths: [/repos/**]',
      '        action: allow',
      '        tls: inspect',
    ].join('\n');
    const parsed = parsePolicy(text, './policy.yaml');
    assert.ok(parsed.ok);
    const p = Policy.resolve([
      { layer: 'project', source: './policy.yaml', document: parsed.document, lines: parsed.lines },
    ]);
    const d = p.decideRequest(req('https://api.github.com/repos/acme/x', 'post'));
    assert.equal(d.action, 'allow');
    assert.equal(d.tls, 'inspect');
    assert.equal(d.rule?.line, 10);
    assert.equal(
      d.reason,
      'rule 2 of project policy ./policy.yaml (line 10: "*.github.com" GET,POST /repos/**) allows it',
    );
    const denied = p.decideRequest(req('https://example.org/'));
    assert.equal(denied.reason, 'rule 1 of project policy ./policy.yaml (line 8: "example.org") denies it');
  });

  test('methods are case-insensitive; absent means any', () => {
    const p = project([
      { match: 'x.com', methods: ['get', 'HEAD'], action: 'allow' },
      { match: 'x.com', action: 'deny' },
    ]);
    assert.equal(p.decideRequest(req('https://x.com/', 'GET')).action, 'allow');
    assert.equal(p.decideRequest(req('https://x.com/', 'head')).action, 'allow');
    assert.equal(p.decideRequest(req('https://x.com/', 'DELETE')).action, 'deny');
  });

  test('paths: globs against the normalized path; traversal cannot reach another prefix', () => {
    const p = project([
      { match: 'api.github.com', paths: ['/repos/acme/**'], action: 'allow' },
      { match: 'api.github.com', action: 'deny' },
    ]);
    const at = (path: string) =>
      p.decideRequest({ scheme: 'https', host: 'api.github.com', port: 443, method: 'GET', path }).action;
    assert.equal(at('/repos/acme'), 'allow');
    assert.equal(at('/repos/acme/x/y'), 'allow');
    assert.equal(at('/repos/acme/../other'), 'deny');
    assert.equal(at('/repos/acme/%2e%2e/other'), 'deny');
    assert.equal(at('/repos/acme/%2E%2E/%2e%2e/other/acme'), 'deny');
    assert.equal(at('/repos/acmecorp'), 'deny');
    assert.equal(at('/Repos/acme'), 'deny');
  });

  test('ports: none in the pattern means any; explicit ports and ranges', () => {
    const p = project([
      { match: 'a.com', action: 'allow' },
      { match: 'b.com:8443', action: 'allow' },
      { match: 'c.com:8000-8999', action: 'allow' },
      { match: '*', action: 'deny' },
    ]);
    assert.equal(p.decideRequest(req('https://a.com/')).action, 'allow');
    assert.equal(p.decideRequest(req('http://a.com:8080/')).action, 'allow');
    assert.equal(p.decideRequest(req('https://b.com:8443/')).action, 'allow');
    assert.equal(p.decideRequest(req('https://b.com/')).action, 'deny');
    assert.equal(p.decideRequest(req('http://c.com:8000/')).action, 'allow');
    assert.equal(p.decideRequest(req('http://c.com:8999/')).action, 'allow');
    assert.equal(p.decideRequest(req('http://c.com:9000/')).action, 'deny');
    assert.equal(p.decideRequest(req('http://c.com/')).action, 'deny');
  });

  test('scheme prefixes', () => {
    const p = project([
      { match: 'https://x.com', action: 'allow' },
      { match: 'wss://x.com', action: 'ask' },
      { match: 'x.com', action: 'deny' },
    ]);
    assert.equal(p.decideRequest(req('https://x.com/')).action, 'allow');
    assert.equal(p.decideRequest(req('http://x.com/')).action, 'deny');
    assert.equal(p.decideRequest(req('wss://x.com/')).action, 'ask');
    assert.equal(p.decideRequest(req('ws://x.com/')).action, 'deny');
  });

  test('hosts are normalized inside: case, trailing dot, IDN, IPv6 brackets', () => {
    const p = project([
      { match: 'bücher.example', action: 'allow' },
      { match: 'API.GitHub.com.', action: 'allow' },
      { match: '::1', action: 'allow' },
      { match: '*', action: 'deny' },
    ]);
    const at = (host: string) =>
      p.decideRequest({ scheme: 'https', host, port: 443, method: 'GET', path: '/' });
    assert.equal(at('xn--bcher-kva.example').action, 'allow');
    assert.equal(at('BÜCHER.example.').action, 'allow');
    assert.equal(at('api.github.com.').action, 'allow');
    assert.equal(at('[0:0::1]').rule?.index, 2);
    assert.equal(at('[::2]').action, 'deny');
  });

  test('IP-literal hosts match only address patterns and *; names never match address patterns', () => {
    const p = project([
      { match: 'localhost', action: 'allow' },
      { match: '10.0.0.0/8', action: 'allow' },
    ]);
    const at = (host: string) =>
      p.decideRequest({ scheme: 'http', host, port: 80, method: 'GET', path: '/' });
    assert.equal(at('127.0.0.1').rule, null);
    assert.equal(at('10.1.2.3').rule?.index, 1);
    assert.equal(at('::ffff:10.1.2.3').rule?.index, 1);
    assert.equal(at('a.10.0.0.1.example').rule, null);
    assert.equal(at('10.example').rule, null);
  });

  test('an invalid host is denied with the reason', () => {
    const d = project([{ match: '*', action: 'allow' }]).decideRequest({
      scheme: 'https',
      host: 'a..b',
      port: 443,
      method: 'GET',
      path: '/',
    });
    assert.equal(d.action, 'deny');
    assert.match(d.reason, /invalid host "a\.\.b": empty label/);
  });

  test('resolve rejects a rule that cannot be compiled', () => {
    assert.throws(
      () => project([{ match: 'foo*.com', action: 'allow' }]),
      /rule 1 of the project layer.*foo\*\.com/,
    );
  });

  test('decides in microseconds', () => {
    const rules: RuleSpec[] = [];
    for (let i = 0; i < 50; i++)
      rules.push({ match: `*.svc${i}.example.com`, methods: ['GET'], paths: ['/v1/**'], action: 'allow' });
    rules.push({ match: 'api.github.com', paths: ['/repos/acme/**'], action: 'allow' });
    const p = project(rules);
    const facts = req('https://api.github.com/repos/acme/widgets/issues?state=open');
    const n = 20000;
    for (let i = 0; i < 1000; i++) p.decideRequest(facts);
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) p.decideRequest(facts);
    const micros = Number(process.hrtime.bigint() - start) / 1000 / n;
    assert.equal(p.decideRequest(facts).rule?.index, 50);
    assert.ok(micros < 50, `decideRequest took ${micros.toFixed(2)} µs per call over 51 rules`);
  });
});

describe('pathDecides', () => {
  test('true when a rule with paths is consulted before a rule without paths decides', () => {
    const p = project([
      { match: 'a.test', action: 'allow' },
      { match: 'a.test', paths: ['/admin/**'], action: 'deny' },
      { match: 'b.test', paths: ['/ok/**'], action: 'allow' },
      { match: 'c.test', methods: ['POST'], paths: ['/x'], action: 'allow' },
    ]);
    assert.equal(p.pathDecides(req('https://a.test/x')), false, 'a host-level rule decides first');
    assert.equal(p.pathDecides(req('https://b.test/x')), true);
    assert.equal(p.pathDecides(req('https://c.test/x')), false, 'the method rules the path rule out');
    assert.equal(p.pathDecides(req('https://c.test/x', 'POST')), true);
  });

  test('an address rule with paths counts for every name (the check after DNS consults it)', () => {
    const p = project([
      { match: '*', action: 'allow' },
      { match: '127.0.0.1', paths: ['/api/**'], action: 'allow' },
    ]);
    assert.equal(p.pathDecides(req('https://anything.test/x')), true);
    assert.equal(p.pathDecides(req('https://127.0.0.1/x')), true);
    assert.equal(project([{ match: '*', action: 'allow' }]).pathDecides(req('https://x.test/')), false);
  });
});
