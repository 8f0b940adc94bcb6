import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { requestEvent, sampleEvents } from '../../test/support/audit/samples.ts';
import type { WardenEvent } from '../api/events.ts';
import { canonicalCopy, canonicalJson, canonicalJsonReference } from './canonical.ts';
import { canonicalRow, GENESIS_HASH, jsonString, rowHash } from './chain.ts';
import { toOcsf } from './ocsf.ts';

test('canonical JSON sorts keys at every depth, drops undefined, has no whitespace', () => {
  const text = canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined });
  assert.equal(text, '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
});

test('canonical JSON is independent of key insertion order and idempotent', () => {
  const one = canonicalJson({ x: 1, y: { p: 'é', q: '\u0001"\\' } });
  const two = canonicalJson({ y: { q: '\u0001"\\', p: 'é' }, x: 1 });
  assert.equal(one, two);
  assert.equal(canonicalJson(JSON.parse(one)), one);
});

test('canonical JSON refuses values JSON cannot hold exactly', () => {
  assert.throws(() => canonicalJson({ n: Number.NaN }), TypeError);
  assert.throws(() => canonicalJson({ f: () => 1 }), TypeError);
});

test('jsonString matches JSON.stringify for plain and awkward strings', () => {
  for (const s of ['plain', 'é ü 字', 'quote " here', 'back\\slash', 'tab\tnl\n', '\ud800 lone', '😀', '']) {
    assert.equal(jsonString(s), JSON.stringify(s));
  }
  assert.equal(jsonString(null), 'null');
});

test('canonicalRow equals the canonical JSON of the row and rowHash = sha256(prev_hash || canonical)', () => {
  const columns = {
    seq: 7,
    time: 1700000000000,
    kind: 'user.action',
    sandbox_id: null,
    user: 'al"ice',
    host: 'h',
    outcome: null,
    prev_hash: GENESIS_HASH,
  };
  // Schema 2: the compact event and the writer context, both stored as canonical JSON.
  const row = {
    ...columns,
    body: canonicalJson({ type: 'user.action', b: [2, { y: 1, x: 'é' }], a: 1 }),
    ctx: canonicalJson({ version: '1', device: { hostname: 'h', os: { name: 'Linux' } } }),
    logged: 1700000000123,
  };
  const expected = canonicalJsonReference({
    ...columns,
    event: JSON.parse(row.body),
    ctx: JSON.parse(row.ctx),
    logged: row.logged,
  });
  assert.equal(canonicalRow(row), expected);
  assert.equal(
    rowHash(row),
    createHash('sha256')
      .update(GENESIS_HASH + expected)
      .digest('hex'),
  );
  // Schema 1 (legacy rows): the OCSF object in the row, no context.
  const legacy = { ...columns, body: canonicalJson({ b: 2, a: 1 }), ctx: null, logged: null };
  const legacyExpected = canonicalJsonReference({ ...columns, ocsf: JSON.parse(legacy.body) });
  assert.equal(canonicalRow(legacy), legacyExpected);
  assert.equal(
    rowHash(legacy),
    createHash('sha256')
      .update(GENESIS_HASH + legacyExpected)
      .digest('hex'),
  );
});

test('the fast canonical form equals the reference on varied inputs', () => {
  const ctx = { device: { hostname: 'h', os: { name: 'Linux', type: 'Linux', type_id: 100 } }, version: '1' };
  const inputs: unknown[] = [
    null,
    0,
    -0,
    1e21,
    1.5e-7,
    'plain',
    '\ud800 lone',
    [],
    {},
    [undefined, null, 1, [2, { b: 1, a: 2 }]],
    { b: 1, a: 2 },
    { a: 1, b: { d: 1, c: [{ z: 1, y: undefined }] } },
    { 10: 'x', 9: 'y', a: 1 },
    { 1: 'x', 2: 'y' },
    { '': 1, ' ': 2, A: 3, a: 4, é: 5, '😀': 6, '\uffff': 7 },
    Object.assign(Object.create(null), { z: 1, a: 2 }),
    { date: new Date(0) },
    { nested: { toJSON: undefined, a: 1 } },
    { m: new Map([[1, 2]]) },
    { s: 'q"uote\\\n\t\u0001\u007f' },
    ...sampleEvents().map((e) => toOcsf(e, ctx, 0).ocsf),
    ...Array.from(
      { length: 40 },
      (_, i) => toOcsf(requestEvent(i, i % 7 ? {} : { status: undefined }), ctx, 0).ocsf,
    ),
  ];
  for (const input of inputs) {
    const reference = canonicalJsonReference(input);
    assert.equal(canonicalJson(input), reference, JSON.stringify(input));
    // canonicalCopy: the object the canonical text parses to, keys in the same order.
    const copy = canonicalCopy(input);
    const parsed = JSON.parse(reference) as unknown;
    assert.equal(JSON.stringify(copy), JSON.stringify(parsed), JSON.stringify(input));
    assert.deepEqual(copy, parsed);
  }
  for (const bad of [
    { n: Number.NaN },
    [Number.POSITIVE_INFINITY],
    { f: () => 1 },
    { b: 1n },
    { s: Symbol('x') },
  ]) {
    assert.throws(() => canonicalJson(bad), TypeError);
    assert.throws(() => canonicalJsonReference(bad), TypeError);
    assert.throws(() => canonicalCopy(bad), TypeError);
  }
});

test('the canonical text of a known event is unchanged (golden hash)', () => {
  const ctx = {
    device: { hostname: 'bench', os: { name: 'Linux', type: 'Linux', type_id: 100 } },
    version: '0.1.0',
  };
  const text = canonicalJson(toOcsf(GOLDEN_EVENT, ctx, 0).ocsf);
  assert.equal(text, GOLDEN_TEXT);
});

const GOLDEN_EVENT: WardenEvent = {
  type: 'request.decided',
  id: 'rq-0',
  time: new Date(Date.parse('2026-11-01T00:00:00Z')).toISOString(),
  sandboxId: 'sb-0',
  user: 'alice',
  method: 'POST',
  scheme: 'https',
  host: 'api0.example.com',
  port: 443,
  path: '/repos/acme/widgets/issues/0',
  address: '203.0.113.10',
  outcome: 'denied',
  rule: null,
  reason: 'no rule matches; default deny',
  decidedBy: 'policy',
  intercepted: true,
  bytesUp: 512,
  bytesDown: 4096,
  durationMs: 12,
};

// Written by the code before the fast serializer and the sorted mapper literals.
const GOLDEN_TEXT =
  '{"action":"Denied","action_id":2,"activity_id":6,"activity_name":"Post","actor":{"user":{"name":"alice","type":"User","type_id":1}},"ai_agent":{"name":"sb-0","uid":"sb-0"},"category_name":"Network Activity","category_uid":4,"class_name":"HTTP Activity","class_uid":4002,"device":{"hostname":"bench","os":{"name":"Linux","type":"Linux","type_id":200},"type":"Desktop","type_id":2},"disposition":"Blocked","disposition_id":2,"dst_endpoint":{"hostname":"api0.example.com","ip":"203.0.113.10","port":443},"duration":12,"http_request":{"http_method":"POST","uid":"rq-0","url":{"hostname":"api0.example.com","path":"/repos/acme/widgets/issues/0","port":443,"scheme":"https","url_string":"https://api0.example.com:443/repos/acme/widgets/issues/0"}},"message":"POST https://api0.example.com/repos/acme/widgets/issues/0 denied: no rule matches; default deny","metadata":{"log_name":"warden-audit","product":{"name":"Warden","vendor_name":"Warden","version":"0.1.0"},"profiles":["ai_operation","host","security_control"],"version":"1.9.0"},"severity":"Low","severity_id":2,"src_endpoint":{"name":"sb-0","type":"Virtual","type_id":6,"uid":"sb-0"},"status":"Failure","status_detail":"no rule matches; default deny","status_id":2,"time":1793491200000,"traffic":{"bytes":4608,"bytes_in":4096,"bytes_out":512},"type_name":"HTTP Activity: Post","type_uid":400206,"unmapped":{"decided_by":"policy","intercepted":true,"outcome":"denied","reason":"no rule matches; default deny","request_id":"rq-0","rule":null,"sandbox_id":"sb-0","warden_kind":"request.decided"}}';
