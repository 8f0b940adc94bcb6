import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RequestFacts } from '../api/policy-types.ts';
import { emptyPolicy, prependRule, suggestRule } from './documents.ts';
import { parsePolicy } from './parse.ts';
import { Policy, type PolicyLayer } from './policy.ts';
import type { PolicyDocument, RuleSpec } from './schema.ts';

function doc(
  rules: RuleSpec[],
  spec: { default?: 'allow' | 'deny' | 'ask'; timeout?: number } = {},
): PolicyDocument {
  const d = emptyPolicy('test');
  d.spec.network = { rules, ...(spec.default ? { default: spec.default } : {}) };
  if (spec.timeout) d.spec.approvals = { timeoutSeconds: spec.timeout };
  return d;
}

function project(
  rules: RuleSpec[],
  spec: { default?: 'allow' | 'deny' | 'ask'; timeout?: number } = {},
): Policy {
  return Policy.resolve([{ layer: 'project', source: './policy.yaml', document: doc(rules, spec) }]);
}

function req(url: string, method = 'GET'): RequestFacts {
  const u = new URL(url);
  const scheme = u.protocol.slice(0, -1) as RequestFacts['scheme'];
  const port = u.port ? Number(u.port) : scheme === 'https' || scheme === 'wss' ? 443 : 80;
  return { scheme, host: u.hostname, port, method, path: u.pathname };
}

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

describe('decideConnect', () => {
  const p = project([
    { match: 'plain.com', action: 'allow', tls: 'passthrough' },
    { match: 'https://secure.com', action: 'allow' },
    { match: 'http://insecure.com', action: 'allow' },
    { match: 'api.github.com', methods: ['GET'], action: 'allow' },
    { match: 'api.github.com', action: 'deny' },
    { match: 'x.com:8443', action: 'deny' },
  ]);
  test('a rule without request conditions decides at connect', () => {
    const d = p.decideConnect('plain.com', 443);
    assert.ok(!('needsRequest' in d));
    assert.equal(d.action, 'allow');
    assert.equal(d.tls, 'passthrough');
  });
  test('a scheme condition of only https decides at connect', () => {
    const d = p.decideConnect('secure.com', 443);
    assert.ok(!('needsRequest' in d));
    assert.equal(d.action, 'allow');
  });
  test('other scheme, method or path conditions need the request', () => {
    const a = p.decideConnect('insecure.com', 443);
    assert.ok('needsRequest' in a);
    assert.match(a.reason, /rule 3 .* depends on the scheme/);
    const b = p.decideConnect('API.github.com', 443);
    assert.ok('needsRequest' in b);
    assert.match(b.reason, /rule 4 .* depends on the method, so the request inside the tunnel decides/);
  });
  test('port must match; no match falls to the default', () => {
    const d = p.decideConnect('x.com', 443);
    assert.ok(!('needsRequest' in d));
    assert.equal(d.rule, null);
    assert.equal(d.action, 'ask');
    const e = p.decideConnect('x.com', 8443);
    assert.ok(!('needsRequest' in e));
    assert.equal(e.action, 'deny');
  });
});

describe('checkAddress', () => {
  const none = project([{ match: '*', action: 'allow' }]);
  const categories: Array<[string, string]> = [
    ['8.8.8.8', 'public'],
    ['2606:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['100.64.0.1', 'carrier-nat'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::808:808', 'public'],
  ];
  for (const [address, category] of categories) {
    test(`${address} is ${category}`, () => {
      const check = none.checkAddress(address, 443, 'api.test');
      assert.equal(check.category, category);
      assert.equal(check.action, category === 'public' ? 'allow' : 'deny');
      assert.equal(check.rule, null);
    });
  }

  test('a denial says what and how to allow it', () => {
    const check = none.checkAddress('127.0.0.1', 443, 'api.test');
    assert.equal(
      check.reason,
      'api.test resolves to 127.0.0.1, a loopback address; sandboxes cannot reach loopback, private, link-local or metadata addresses unless a rule names the address (add "- match: 127.0.0.1/32, action: allow")',
    );
    assert.match(
      none.checkAddress('[fd12::1]', 443, 'fd12::1').reason,
      /^fd12::1 is a private address; .*fd12::1\/128/,
    );
  });

  test('an address or CIDR rule can allow or ask for a non-public address, port included', () => {
    const p = project([
      { match: '10.0.0.0/8:5432', action: 'allow' },
      { match: '192.168.0.0/16', action: 'ask' },
      { match: '172.16.0.1', action: 'deny' },
      { match: '172.16.0.0/12', action: 'allow' },
    ]);
    const db = p.checkAddress('10.1.1.1', 5432, 'db.internal');
    assert.equal(db.action, 'allow');
    assert.equal(db.rule?.index, 0);
    assert.equal(db.category, 'private');
    assert.equal(p.checkAddress('10.1.1.1', 80, 'db.internal').action, 'deny');
    assert.equal(p.checkAddress('192.168.0.9', 80, 'nas.local').action, 'ask');
    const first = p.checkAddress('172.16.0.1', 80, 'x');
    assert.equal(first.action, 'deny');
    assert.equal(first.rule?.index, 2);
    assert.equal(p.checkAddress('172.16.0.2', 80, 'x').action, 'allow');
  });

  test('host-name rules and * never name addresses', () => {
    const p = project([
      { match: 'api.test', action: 'allow' },
      { match: '*', action: 'allow' },
    ]);
    assert.equal(p.checkAddress('127.0.0.1', 443, 'api.test').action, 'deny');
  });

  test('a localhost rule names loopback addresses for the host localhost only', () => {
    const p = project([{ match: 'localhost:3000', action: 'allow' }]);
    const ok = p.checkAddress('127.0.0.1', 3000, 'localhost');
    assert.equal(ok.action, 'allow');
    assert.equal(ok.rule?.match, 'localhost:3000');
    assert.equal(p.checkAddress('::1', 3000, 'LOCALHOST.').action, 'allow');
    assert.equal(p.checkAddress('127.0.0.1', 3001, 'localhost').action, 'deny');
    assert.equal(p.checkAddress('127.0.0.1', 3000, 'rebind.evil.com').action, 'deny');
    assert.equal(p.checkAddress('10.0.0.1', 3000, 'localhost').action, 'deny');
  });

  test('metadata is not reachable through a rule for its link-local range... unless named', () => {
    const p = project([{ match: '169.254.169.254', action: 'allow' }]);
    assert.equal(p.checkAddress('169.254.169.254', 80, 'metadata').action, 'allow');
    assert.equal(p.checkAddress('169.254.1.1', 80, 'x').action, 'deny');
  });

  test('IPv4-mapped addresses are matched by IPv4 rules', () => {
    const p = project([{ match: '127.0.0.1', action: 'allow' }]);
    assert.equal(p.checkAddress('::ffff:127.0.0.1', 80, 'x').action, 'allow');
  });

  test('a public address is denied only by a matching address rule with deny', () => {
    const p = project([
      { match: '203.0.114.0/24', action: 'deny' },
      { match: '8.8.8.8', action: 'ask' },
    ]);
    const d = p.checkAddress('203.0.114.7', 443, 'bad.example');
    assert.equal(d.action, 'deny');
    assert.equal(d.rule?.index, 0);
    assert.match(
      d.reason,
      /bad\.example resolves to 203\.0\.114\.7, a public address, which rule 1 .* denies/,
    );
    const a = p.checkAddress('8.8.8.8', 443, 'dns.google');
    assert.equal(a.action, 'allow');
    assert.equal(a.rule, null);
  });

  test('something that is not an address is denied', () => {
    assert.equal(none.checkAddress('not-an-ip', 443, 'x').action, 'deny');
  });
});

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
