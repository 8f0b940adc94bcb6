import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeHost } from './host-name.ts';
import { matchHostPattern } from './host-pattern.ts';
import { formatMatch, parseMatch } from './match-spec.ts';

describe('normalizeHost', () => {
  test('lowercases and strips one trailing dot', () => {
    assert.equal(normalizeHost('API.GitHub.COM.'), 'api.github.com');
  });
  test('converts IDN to punycode', () => {
    assert.equal(normalizeHost('Bücher.example'), 'xn--bcher-kva.example');
    assert.equal(normalizeHost('xn--bcher-kva.example'), 'xn--bcher-kva.example');
  });
  test('strips IPv6 brackets and compresses', () => {
    assert.equal(normalizeHost('[0:0::1]'), '::1');
    assert.equal(normalizeHost('FD00:0:0:0:0:0:0:1'), 'fd00::1');
  });
  test('keeps IPv4-mapped IPv6 as IPv6 in mixed notation', () => {
    assert.equal(normalizeHost('[::ffff:127.0.0.1]'), '::ffff:127.0.0.1');
    assert.equal(normalizeHost('::ffff:7f00:1'), '::ffff:127.0.0.1');
  });
  test('turns IPv4 shorthand a URL would accept into a dotted quad', () => {
    assert.equal(normalizeHost('127.1'), '127.0.0.1');
    assert.equal(normalizeHost('0x7f.0.0.1'), '127.0.0.1');
    assert.equal(normalizeHost('2130706433'), '127.0.0.1');
  });
  test('throws a clear error for invalid hosts', () => {
    assert.throws(() => normalizeHost(''), /invalid host "": empty/);
    assert.throws(() => normalizeHost('a..b'), /empty label/);
    assert.throws(() => normalizeHost('a b.com'), /not allowed/);
    assert.throws(() => normalizeHost('[::1'), /missing "\]"/);
    assert.throws(() => normalizeHost('fe80::1%eth0'), /zone/);
    assert.throws(() => normalizeHost('1.2.3.256'), /not a valid/);
    assert.throws(() => normalizeHost('*.example.com'), /not allowed/);
    assert.throws(() => normalizeHost('..'), /empty/);
    assert.throws(() => normalizeHost('example.com:443'), /cannot include a port/);
    assert.throws(() => normalizeHost('fd00::1::2'), /not a valid IPv6 address/);
  });
});

describe('matchHostPattern', () => {
  test('exact', () => {
    assert.equal(matchHostPattern('example.com', 'example.com'), true);
    assert.equal(matchHostPattern('example.com', 'www.example.com'), false);
    assert.equal(matchHostPattern('example.com', 'notexample.com'), false);
  });
  test('*.x.com matches exactly one extra label, not the apex, not deeper', () => {
    assert.equal(matchHostPattern('*.x.com', 'a.x.com'), true);
    assert.equal(matchHostPattern('*.x.com', 'a.b.x.com'), false);
    assert.equal(matchHostPattern('*.x.com', 'x.com'), false);
    assert.equal(matchHostPattern('*.x.com', 'ax.com'), false);
    assert.equal(matchHostPattern('*.x.com', '.x.com'), false);
  });
  test('**.x.com matches any depth but not the apex', () => {
    assert.equal(matchHostPattern('**.x.com', 'a.x.com'), true);
    assert.equal(matchHostPattern('**.x.com', 'a.b.c.x.com'), true);
    assert.equal(matchHostPattern('**.x.com', 'x.com'), false);
    assert.equal(matchHostPattern('**.x.com', 'evilx.com'), false);
    assert.equal(matchHostPattern('**.x.com', 'a.x.com.evil.net'), false);
  });
  test('* matches any host, names and addresses', () => {
    assert.equal(matchHostPattern('*', 'anything.example'), true);
    assert.equal(matchHostPattern('*', '10.0.0.1'), true);
    assert.equal(matchHostPattern('*', '[::1]'), true);
  });
  test('case-insensitive and trailing dot ignored on both sides', () => {
    assert.equal(matchHostPattern('API.GitHub.com', 'api.github.COM'), true);
    assert.equal(matchHostPattern('api.github.com.', 'api.github.com'), true);
    assert.equal(matchHostPattern('api.github.com', 'api.github.com.'), true);
    assert.equal(matchHostPattern('*.GitHub.com.', 'API.github.com.'), true);
  });
  test('IDN compared in punycode, either way round', () => {
    assert.equal(matchHostPattern('bücher.example', 'xn--bcher-kva.example'), true);
    assert.equal(matchHostPattern('xn--bcher-kva.example', 'bücher.example'), true);
    assert.equal(matchHostPattern('*.bücher.example', 'www.xn--bcher-kva.example'), true);
    assert.equal(matchHostPattern('bücher.example', 'bucher.example'), false);
  });
  test('IPv4 literal and CIDR', () => {
    assert.equal(matchHostPattern('10.0.0.1', '10.0.0.1'), true);
    assert.equal(matchHostPattern('10.0.0.1', '10.0.0.2'), false);
    assert.equal(matchHostPattern('10.0.0.0/8', '10.255.1.2'), true);
    assert.equal(matchHostPattern('10.0.0.0/8', '11.0.0.1'), false);
    assert.equal(matchHostPattern('192.168.1.0/24', '192.168.1.77'), true);
    assert.equal(matchHostPattern('192.168.1.0/24', '192.168.2.1'), false);
    assert.equal(matchHostPattern('0.0.0.0/0', '8.8.8.8'), true);
  });
  test('IPv6 literal and CIDR', () => {
    assert.equal(matchHostPattern('::1', '[0:0:0:0:0:0:0:1]'), true);
    assert.equal(matchHostPattern('[::1]', '::1'), true);
    assert.equal(matchHostPattern('fd00::/8', 'fd12:3456::1'), true);
    assert.equal(matchHostPattern('fd00::/8', 'fe80::1'), false);
    assert.equal(matchHostPattern('2001:db8::/32', '[2001:DB8:0:1::5]'), true);
  });
  test('IPv4-mapped IPv6 hosts match IPv4 patterns and the other way round', () => {
    assert.equal(matchHostPattern('127.0.0.1', '::ffff:127.0.0.1'), true);
    assert.equal(matchHostPattern('10.0.0.0/8', '[::ffff:10.1.2.3]'), true);
    assert.equal(matchHostPattern('::ffff:127.0.0.1', '127.0.0.1'), true);
    assert.equal(matchHostPattern('::ffff:0:0/96', '::ffff:1.2.3.4'), true);
    assert.equal(matchHostPattern('10.0.0.0/8', '::ffff:11.0.0.1'), false);
  });
  test('address hosts never match name patterns; names never match address patterns', () => {
    assert.equal(matchHostPattern('**.0.0.1', '10.0.0.1'), false);
    assert.equal(matchHostPattern('10.0.0.0/8', '10.example.com'), false);
    assert.equal(matchHostPattern('localhost', '127.0.0.1'), false);
  });
  test('IPv4 shorthand hosts are compared as the address they mean', () => {
    assert.equal(matchHostPattern('127.0.0.0/8', '2130706433'), true);
  });
  test('invalid patterns and hosts match nothing', () => {
    assert.equal(matchHostPattern('foo*.com', 'foox.com'), false);
    assert.equal(matchHostPattern('example.com', 'exa mple.com'), false);
  });
});

describe('parseMatch', () => {
  test('host only', () => {
    const m = parseMatch('API.github.com');
    assert.ok(!('error' in m));
    assert.deepEqual(m.host, { kind: 'exact', host: 'api.github.com' });
    assert.equal(m.scheme, undefined);
    assert.equal(m.port, undefined);
  });
  test('scheme, wildcard and port range', () => {
    const m = parseMatch('HTTPS://*.github.com:8000-8999');
    assert.ok(!('error' in m));
    assert.equal(m.scheme, 'https');
    assert.deepEqual(m.host, { kind: 'one-label', suffix: 'github.com' });
    assert.deepEqual(m.port, { from: 8000, to: 8999 });
    assert.equal(formatMatch(m), 'https://*.github.com:8000-8999');
  });
  test('all four schemes', () => {
    for (const s of ['http', 'https', 'ws', 'wss']) {
      const m = parseMatch(`${s}://x.com`);
      assert.ok(!('error' in m));
      assert.equal(m.scheme, s);
    }
  });
  test('bracketed IPv6 with port, and CIDR with port', () => {
    const a = parseMatch('[::1]:8080');
    assert.ok(!('error' in a));
    assert.equal(a.hostText, '::1');
    assert.deepEqual(a.port, { from: 8080, to: 8080 });
    assert.equal(formatMatch(a), '[::1]:8080');
    const b = parseMatch('[fd00::/8]:443');
    assert.ok(!('error' in b));
    assert.equal(b.host.kind, 'cidr');
    assert.deepEqual(b.port, { from: 443, to: 443 });
    const c = parseMatch('10.0.0.0/8:5432');
    assert.ok(!('error' in c));
    assert.equal(c.hostText, '10.0.0.0/8');
    assert.deepEqual(c.port, { from: 5432, to: 5432 });
  });
  test('unbracketed IPv6 takes no port', () => {
    const m = parseMatch('fd00::1:443');
    assert.ok(!('error' in m));
    assert.equal(m.hostText, 'fd00::1:443');
    assert.equal(m.port, undefined);
  });
  const bad: Array<[string, RegExp]> = [
    ['foo*.com', /"\*" must be a whole label/],
    ['*.*.com', /only the first label may be a wildcard/],
    ['a..b', /empty label/],
    ['10.0.0.0/33', /prefix length "\/33" is out of range for IPv4 \(expected \/0 to \/32\)/],
    ['fd00::/129', /out of range for IPv6/],
    ['10.0.0.1/8', /did you mean 10\.0\.0\.0\/8/],
    ['x.com:0', /port 0 is out of range/],
    ['x.com:70000', /port 70000 is out of range/],
    ['x.com:9000-8000', /backwards/],
    ['x.com:http', /not a number/],
    ['a b.com', /spaces are not allowed/],
    ['', /empty/],
    ['ftp://x.com', /unsupported scheme "ftp:\/\/"/],
    ['x.com/repos', /cannot contain "\/"/],
    ['**', /use "\*" for any host/],
    ['10.0.0', /not a valid IPv4 address/],
    ['[::1', /missing "\]"/],
    ['[x.com]:80', /brackets are only for IPv6/],
    ['https://', /empty/],
    ['**.0.0.1', /wildcards cannot be combined with an address/],
  ];
  for (const [pattern, message] of bad) {
    test(`rejects ${JSON.stringify(pattern)}`, () => {
      const m = parseMatch(pattern);
      assert.ok('error' in m, `expected an error for ${pattern}`);
      assert.match(m.error, message);
    });
  }
});
