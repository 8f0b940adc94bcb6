// The replay's reading of a recorded shape and its two outcomes: keys that are not a request
// (a legacy row, garbage) are skipped, never guessed at; a CONNECT is asked as the proxy asks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doc } from '../../test/support/policy.ts';
import { Policy } from '../policy/index.ts';
import { outcomeOf, parseShapeKey } from './decide-shapes.ts';

test('a shape key reads back as its sandbox and request facts', () => {
  assert.deepEqual(parseShapeKey('sb-1\u0000api.example.com\u0000["https",443,"GET","/x"]'), {
    sandboxId: 'sb-1',
    facts: { scheme: 'https', host: 'api.example.com', port: 443, method: 'GET', path: '/x' },
  });
  assert.equal(parseShapeKey('\u0000h\u0000["http",80,"GET","/"]')?.sandboxId, null);
});

test('keys that are not a recorded request are refused', () => {
  for (const key of [
    '',
    'sb\u0000h',
    'sb\u0000h\u0000',
    'sb\u0000h\u0000[null,null,null,null]', // a schema 1 row: its body is the OCSF object
    'sb\u0000h\u0000["gopher",70,"GET","/"]',
    'sb\u0000h\u0000["https","443","GET","/"]',
    'sb\u0000\u0000["https",443,"GET","/"]',
    'sb\u0000h\u0000{"scheme":"https"}',
    'sb\u0000h\u0000["https",443,"GET","/",1]',
  ]) {
    assert.equal(parseShapeKey(key), null, JSON.stringify(key));
  }
});

test('a CONNECT is decided as a tunnel; a rule on paths leaves it to the requests inside', () => {
  const layer = (rules: Parameters<typeof doc>[0]) =>
    Policy.resolve([{ layer: 'project', source: 'p.yaml', document: doc(rules, { default: 'deny' }) }]);
  const connect = {
    scheme: 'https' as const,
    host: 'api.example.com',
    port: 443,
    method: 'CONNECT',
    path: '',
  };
  assert.equal(outcomeOf(layer([{ match: 'api.example.com', action: 'allow' }]), connect).action, 'allow');
  assert.equal(
    outcomeOf(layer([{ match: 'api.example.com', paths: ['/x/**'], action: 'allow' }]), connect).action,
    'tunnel',
  );
  assert.equal(outcomeOf(layer([]), connect).action, 'deny');
});
