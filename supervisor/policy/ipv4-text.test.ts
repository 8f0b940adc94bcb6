import assert from 'node:assert/strict';
import { test } from 'node:test';
import ipaddr from 'ipaddr.js';
import { isFourPartDecimal } from './ipv4-text.ts';

test('isFourPartDecimal answers as ipaddr.js does, names included', () => {
  const cases = [
    '127.0.0.1',
    '0.0.0.0',
    '255.255.255.255',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3',
    '1.2.3.4.5',
    '0x7f.0.0.1',
    '2130706433',
    'example.com',
    'host-12.bench.test',
    '1.2.3.4 ',
    '::1',
    '',
  ];
  for (const c of cases) assert.equal(isFourPartDecimal(c), ipaddr.IPv4.isValidFourPartDecimal(c), c);
  assert.equal(isFourPartDecimal('10.0.0.1'), true);
  assert.equal(isFourPartDecimal('example.com'), false);
});
