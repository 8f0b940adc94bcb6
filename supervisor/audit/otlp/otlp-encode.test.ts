import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { requestEvent } from '../../../test/support/audit/samples.ts';
import { TestDevice } from '../../../test/support/hub/device.ts';
import { deepFreeze } from '../ocsf-shared.ts';
import { anyValueJson } from './any-value-bytes.ts';
import { retryAfterMs } from './http-post.ts';
import { anyValue, encodeLogRecord, logRecordJson, otlpSeverity } from './otlp-encode.ts';
import { logsUrl, partialSuccess } from './otlp-sink.ts';

test('AnyValue: 64-bit integers as decimal strings, other numbers as doubles, nesting kept', () => {
  const v = { a: 1, b: 1.5, c: 'x', d: true, e: [1, null], f: { g: 2 ** 53 } };
  assert.deepEqual(anyValue(v), {
    kvlistValue: {
      values: [
        { key: 'a', value: { intValue: '1' } },
        { key: 'b', value: { doubleValue: 1.5 } },
        { key: 'c', value: { stringValue: 'x' } },
        { key: 'd', value: { boolValue: true } },
        { key: 'e', value: { arrayValue: { values: [{ intValue: '1' }, {}] } } },
        { key: 'f', value: { kvlistValue: { values: [{ key: 'g', value: { doubleValue: 2 ** 53 } }] } } },
      ],
    },
  });
  assert.deepEqual(JSON.parse(anyValueJson(v)), anyValue(v), 'the direct writer gives the same JSON');
  assert.deepEqual(JSON.parse(anyValueJson('q"\\\n\u2028')), { stringValue: 'q"\\\n\u2028' });
});

test('OCSF severity_id maps to the OTLP SeverityNumber ranges', () => {
  const sev = (id: unknown) => otlpSeverity({ class_uid: 1, type_uid: 1, time: 0, severity_id: id });
  assert.equal(sev(1).severityNumber, 9); // INFO
  assert.equal(sev(3).severityNumber, 13); // WARN
  assert.equal(sev(4).severityNumber, 17); // ERROR
  assert.equal(sev(5).severityNumber, 21); // FATAL
  assert.equal(sev(0).severityNumber, 0);
  assert.equal(sev('x').severityNumber, 0);
  assert.equal(sev(42).severityNumber, 0);
});

test('the logs URL gets /v1/logs once; only http(s)', () => {
  assert.equal(logsUrl('http://127.0.0.1:4318'), 'http://127.0.0.1:4318/v1/logs');
  assert.equal(logsUrl('http://127.0.0.1:4318/'), 'http://127.0.0.1:4318/v1/logs');
  assert.equal(logsUrl('http://127.0.0.1:4318/v1/logs'), 'http://127.0.0.1:4318/v1/logs');
  assert.throws(() => logsUrl('ftp://127.0.0.1/'));
});

test('partial success: counts as string or number; bad counts are noted, not trusted', () => {
  assert.deepEqual(partialSuccess(''), { rejected: 0, note: null });
  assert.deepEqual(partialSuccess('{}'), { rejected: 0, note: null });
  assert.equal(
    partialSuccess('{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"x"}}').rejected,
    3,
  );
  assert.equal(partialSuccess('{"partialSuccess":{"rejectedLogRecords":4}}').rejected, 4);
  assert.match(
    partialSuccess('{"partialSuccess":{"errorMessage":"slow down"}}').note ?? '',
    /warning: slow down/,
  );
  assert.match(partialSuccess('{"partialSuccess":{"rejectedLogRecords":"NaN"}}').note ?? '', /bad/);
  assert.match(partialSuccess('nope').note ?? '', /not JSON/);
});

test('Retry-After: seconds or an HTTP date', () => {
  assert.equal(retryAfterMs('3', 0), 3000);
  assert.equal(retryAfterMs(null, 0), null);
  assert.equal(retryAfterMs('soon', 0), null);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
});

// The direct writer (plans per object shape, shared objects written once) against the object
// tree of anyValue, serialized by JSON.stringify: the same bytes for the same value.
const tricky = [
  '',
  'plain',
  'quote " backslash \\ slash /',
  'controls \u0000\u001f\n\t\u007f',
  'é ✓ 😀 中文',
  'lone \ud800 and \udfff',
  '\u2028\u2029',
];

/** The definition, written out: keys sorted by code unit, undefined members left out. */
function reference(v: unknown, depth = 0): string {
  if (depth > 32) return JSON.stringify({ stringValue: JSON.stringify(v) });
  if (Array.isArray(v))
    return `{"arrayValue":{"values":[${v.map((x) => reference(x, depth + 1)).join(',')}]}}`;
  if (v === null || typeof v !== 'object') return JSON.stringify(anyValue(v));
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  const members = keys.map((k) => `{"key":${JSON.stringify(k)},"value":${reference(o[k], depth + 1)}}`);
  return `{"kvlistValue":{"values":[${members.join(',')}]}}`;
}

test('the direct writer gives the bytes of anyValue, with keys in code-unit order', () => {
  const values: unknown[] = [
    ...tricky,
    ...tricky.map((s, i) => ({ [s]: s, z: i, a: [s, i + 0.5, -i, null, true, false] })),
    { b: 1, a: 2, é: 3, '"q"': 4, '10': 5, '9': 6, '': 7, undefinedMember: undefined },
    { a: 2, b: 1 }, // the same shape in another order of creation
    { big: 2 ** 53, safe: 2 ** 53 - 1, neg: -(2 ** 53 - 1), small: 1e-7, exp: 1e21, zero: -0 },
    [{ x: 1 }, { x: 'one' }, { x: { y: [] } }, { x: {} }],
  ];
  let deep: unknown = 'bottom';
  for (let i = 0; i < 40; i++) deep = { level: deep, n: i };
  values.push(deep, Object.freeze({ frozen: Object.freeze({ deep }) }));
  for (let round = 0; round < 2; round++) {
    for (const v of values) {
      const expected = reference(v);
      assert.equal(anyValueJson(v), expected, JSON.stringify(v)?.slice(0, 80));
    }
  }
});

test('a shared (deep-frozen) object is written from its kept bytes; a mutable part is not kept', () => {
  const shared = deepFreeze({ name: 'devbox', os: { name: 'Linux', type_id: 200 } });
  assert.equal(anyValueJson({ device: shared }), reference({ device: shared }));
  assert.equal(anyValueJson({ device: shared }), reference({ device: shared }), 'from the kept bytes');
  const inner = { count: 1 };
  const outer = Object.freeze({ inner });
  const first = anyValueJson(outer);
  inner.count = 2;
  assert.notEqual(anyValueJson(outer), first, 'a frozen object holding a mutable one is written each time');
  assert.equal(anyValueJson(outer), reference(outer));
});

test('a LogRecord written directly equals encodeLogRecord serialized, escapes and non-ASCII included', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-otlp-'));
  const device = new TestDevice(dir);
  try {
    device.append(20);
    device.store.appendBatch(
      tricky.map((s, i) =>
        requestEvent(100 + i, {
          path: `/p/${s}`,
          reason: s,
          user: `zoë ${s}`,
          sandboxId: `sb-${s}`,
          query: s ? `q=${s}` : undefined,
        }),
      ),
    );
    const rows = device.rows(0, 1000);
    assert.equal(rows.length, 20 + tricky.length);
    const who = { id: device.id, machine: 'devbox ✓', version: '0.1.0' };
    for (let round = 0; round < 2; round++)
      for (const r of rows) {
        const expected = JSON.stringify(encodeLogRecord(who, r, 1_700_000_000_123));
        assert.equal(logRecordJson(who, r, '1700000000123000000'), expected, `seq ${r.seq}`);
      }
  } finally {
    device.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
