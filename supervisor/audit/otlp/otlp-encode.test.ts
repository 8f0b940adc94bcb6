import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryAfterMs } from './http-post.ts';
import { anyValue, anyValueJson, otlpSeverity } from './otlp-encode.ts';
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
