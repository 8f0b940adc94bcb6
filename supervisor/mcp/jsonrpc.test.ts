// Reading MCP POST bodies: single and batched messages, and every way a body is refused whole.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callTarget, MAX_MCP_BATCH, MAX_MCP_REQUEST_BYTES, parseBody, RPC } from './jsonrpc.ts';

const body = (v: unknown) => Buffer.from(JSON.stringify(v));
const call = (id: number, name: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name } });

test('a single request, a notification and a response are told apart', () => {
  const one = parseBody(body(call(1, 'echo')));
  assert.ok(one.ok);
  assert.equal(one.batch, false);
  assert.equal(one.messages[0]?.kind, 'request');
  const many = parseBody(
    body([
      call(1, 'a'),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 7, result: {} },
    ]),
  );
  assert.ok(many.ok);
  assert.equal(many.batch, true);
  assert.deepEqual(
    many.messages.map((m) => m.kind),
    ['request', 'notification', 'response'],
  );
});

test('bodies that are not JSON-RPC are refused whole, with the JSON-RPC code', () => {
  const cases: Array<[Buffer, number]> = [
    [Buffer.from('{"jsonrpc":"2.0",'), RPC.parseError],
    [body([]), RPC.invalidRequest],
    [body({ id: 1, method: 'x' }), RPC.invalidRequest],
    [body({ jsonrpc: '2.0', id: { a: 1 }, method: 'x' }), RPC.invalidRequest],
    [body({ jsonrpc: '2.0', id: 1, method: 'x', result: 1 }), RPC.invalidRequest],
    [body({ jsonrpc: '2.0', id: 1, result: 1, error: {} }), RPC.invalidRequest],
    [body({ jsonrpc: '2.0', id: 1, method: 'x', params: 'str' }), RPC.invalidRequest],
    [body([call(1, 'ok'), 5]), RPC.invalidRequest],
    [body(Array.from({ length: MAX_MCP_BATCH + 1 }, (_, i) => call(i, 'a'))), RPC.invalidRequest],
  ];
  for (const [b, code] of cases) {
    const r = parseBody(b);
    assert.ok(!r.ok, b.toString().slice(0, 60));
    assert.equal(r.code, code, b.toString().slice(0, 60));
  }
  const big = parseBody(Buffer.alloc(MAX_MCP_REQUEST_BYTES + 1, 32));
  assert.ok(!big.ok);
  assert.equal(big.status, 413);
});

test('a duplicate key is read as JSON.parse reads it, and what is forwarded is re-serialized', () => {
  const r = parseBody(
    Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"safe","name":"rm"}}'),
  );
  assert.ok(r.ok);
  const m = r.messages[0];
  assert.ok(m && m.kind === 'request');
  assert.deepEqual(callTarget(m), { method: 'tools/call', name: 'rm' });
  assert.equal(JSON.stringify(m.message).match(/"name"/g)?.length, 1);
});

test('governed calls need a readable name or URI', () => {
  const target = (params: unknown, method = 'tools/call') => {
    const r = parseBody(body({ jsonrpc: '2.0', id: 1, method, params }));
    assert.ok(r.ok);
    const m = r.messages[0];
    assert.ok(m && m.kind === 'request');
    return callTarget(m);
  };
  assert.equal(target({ name: 'x' }, 'tools/list'), null);
  assert.deepEqual(target({ uri: 'file:///a' }, 'resources/read'), {
    method: 'resources/read',
    name: 'file:///a',
  });
  assert.ok('bad' in (target({ name: 5 }) ?? {}));
  assert.ok('bad' in (target({}) ?? {}));
  assert.ok('bad' in (target({ name: 'rm\u0000' }) ?? {}));
  assert.ok('bad' in (target({ name: 'r\u200bm' }) ?? {}));
  assert.ok('bad' in (target({ name: 'x'.repeat(2000) }) ?? {}));
});
