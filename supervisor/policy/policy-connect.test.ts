// Policy.decideConnect (deciding at CONNECT time, or needing the request) and checkAddress
// (address categories, and the rules that allow or deny non-public addresses).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { project, req } from '../../test/support/policy.ts';
import type { Policy } from './policy.ts';

/** The address check of a GET / to `host`:`port` connecting to `address`. */
function addressCheck(p: Policy, address: string, port: number, host: string) {
  return p.checkAddress(address, { ...req('https://x.test/'), host, port });
}

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
      const check = addressCheck(none, address, 443, 'api.test');
      assert.equal(check.category, category);
      assert.equal(check.action, category === 'public' ? 'allow' : 'deny');
      assert.equal(check.rule, null);
    });
  }

  test('a denial says what and how to allow it', () => {
    const check = addressCheck(none, '127.0.0.1', 443, 'api.test');
    assert.equal(
      check.reason,
      'api.test resolves to 127.0.0.1, a loopback address; sandboxes cannot reach loopback, private, link-local or metadata addresses unless a rule names the address (add "- match: 127.0.0.1/32, action: allow")',
    );
    assert.match(
      addressCheck(none, '[fd12::1]', 443, 'fd12::1').reason,
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
    const db = addressCheck(p, '10.1.1.1', 5432, 'db.internal');
    assert.equal(db.action, 'allow');
    assert.equal(db.rule?.index, 0);
    assert.equal(db.category, 'private');
    assert.equal(addressCheck(p, '10.1.1.1', 80, 'db.internal').action, 'deny');
    assert.equal(addressCheck(p, '192.168.0.9', 80, 'nas.local').action, 'ask');
    const first = addressCheck(p, '172.16.0.1', 80, 'x');
    assert.equal(first.action, 'deny');
    assert.equal(first.rule?.index, 2);
    assert.equal(addressCheck(p, '172.16.0.2', 80, 'x').action, 'allow');
  });

  test('host-name rules and * never name addresses', () => {
    const p = project([
      { match: 'api.test', action: 'allow' },
      { match: '*', action: 'allow' },
    ]);
    assert.equal(addressCheck(p, '127.0.0.1', 443, 'api.test').action, 'deny');
  });

  test('a localhost rule names loopback addresses for the host localhost only', () => {
    const p = project([{ match: 'localhost:3000', action: 'allow' }]);
    const ok = addressCheck(p, '127.0.0.1', 3000, 'localhost');
    assert.equal(ok.action, 'allow');
    assert.equal(ok.rule?.match, 'localhost:3000');
    assert.equal(addressCheck(p, '::1', 3000, 'LOCALHOST.').action, 'allow');
    assert.equal(addressCheck(p, '127.0.0.1', 3001, 'localhost').action, 'deny');
    assert.equal(addressCheck(p, '127.0.0.1', 3000, 'rebind.evil.com').action, 'deny');
    assert.equal(addressCheck(p, '10.0.0.1', 3000, 'localhost').action, 'deny');
  });

  test('metadata is not reachable through a rule for its link-local range... unless named', () => {
    const p = project([{ match: '169.254.169.254', action: 'allow' }]);
    assert.equal(addressCheck(p, '169.254.169.254', 80, 'metadata').action, 'allow');
    assert.equal(addressCheck(p, '169.254.1.1', 80, 'x').action, 'deny');
  });

  test('IPv4-mapped addresses are matched by IPv4 rules', () => {
    const p = project([{ match: '127.0.0.1', action: 'allow' }]);
    assert.equal(addressCheck(p, '::ffff:127.0.0.1', 80, 'x').action, 'allow');
  });

  test('a public address is denied only by a matching address rule with deny', () => {
    const p = project([
      { match: '203.0.114.0/24', action: 'deny' },
      { match: '8.8.8.8', action: 'ask' },
    ]);
    const d = addressCheck(p, '203.0.114.7', 443, 'bad.example');
    assert.equal(d.action, 'deny');
    assert.equal(d.rule?.index, 0);
    assert.match(
      d.reason,
      /bad\.example resolves to 203\.0\.114\.7, a public address, which rule 1 .* denies/,
    );
    const a = addressCheck(p, '8.8.8.8', 443, 'dns.google');
    assert.equal(a.action, 'allow');
    assert.equal(a.rule, null);
  });

  test('an address rule applies whole: its methods, paths and scheme must match the request', () => {
    const p = project([
      { match: '127.0.0.1', methods: ['GET'], paths: ['/api/**'], action: 'allow' },
      { match: 'http://10.0.0.1', action: 'allow' },
      { match: '*', action: 'allow' },
    ]);
    const at = (address: string, url: string, method = 'GET') =>
      p.checkAddress(address, { ...req(url, method), host: 'svc.test' });
    assert.equal(at('127.0.0.1', 'http://svc.test:8080/api/x').action, 'allow');
    const post = at('127.0.0.1', 'http://svc.test:8080/api/x', 'POST');
    assert.equal(post.action, 'deny');
    assert.equal(post.rule, null);
    assert.match(
      post.reason,
      /^svc\.test resolves to 127\.0\.0\.1, a loopback address; rule 1 .* names the address, but not this request \(method POST not in GET\)/,
    );
    assert.match(
      at('127.0.0.1', 'http://svc.test:8080/other').reason,
      /path \/other matches none of \/api\/\*\*/,
    );
    assert.equal(at('127.0.0.1', 'http://svc.test:8080/api/../admin').action, 'deny');
    assert.equal(at('10.0.0.1', 'http://svc.test/').action, 'allow');
    assert.equal(at('10.0.0.1', 'https://svc.test/').action, 'deny');
  });

  test('a tunnel to an address a rule names for some requests only needs the requests', () => {
    const p = project([
      { match: '127.0.0.1', methods: ['GET'], paths: ['/api/**'], action: 'allow' },
      { match: '10.0.0.1', action: 'allow' },
    ]);
    const t = p.checkTunnelAddress('127.0.0.1', 'svc.test', 443);
    assert.ok('needsRequest' in t);
    assert.match(
      t.reason,
      /rule 1 .* names for some requests only, so the request inside the tunnel decides/,
    );
    const whole = p.checkTunnelAddress('10.0.0.1', 'db.test', 443);
    assert.ok(!('needsRequest' in whole));
    assert.equal(whole.action, 'allow');
  });

  test('something that is not an address is denied', () => {
    assert.equal(addressCheck(none, 'not-an-ip', 443, 'x').action, 'deny');
  });
});
