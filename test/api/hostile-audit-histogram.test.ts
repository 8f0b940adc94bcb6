// The audit histogram route from the attacker's side: every odd query is refused with a named
// error before SQLite sees it, values that look like SQL are only ever bound parameters, and
// no answer grows past the bucket limit.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_HISTOGRAM_BUCKETS } from '../../supervisor/api/audit-types.ts';
import type { ApiClientError } from '../../supervisor/client/api-client.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let d: TestDaemon;
let up: Upstreams;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon();
  const { env } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
  for (let i = 0; i < 3; i++) await curl(env, [`http://127.0.0.1:${up.httpPort}/h/${i}`]);
  await until('three decisions stored', async () => {
    const page = await d.client.call('GET /v1/audit', { query: { kind: 'request.decided' } });
    return page.records.length >= 3;
  });
});

after(async () => {
  await d?.stop();
  await up?.close();
});

const refused = (query: Record<string, string>, pattern: RegExp) =>
  assert.rejects(
    d.client.call('GET /v1/audit/histogram', { query }),
    (e: ApiClientError) => e.name === 'BadRequest' && e.status === 400 && pattern.test(e.message),
    JSON.stringify(query),
  );

test('the histogram counts what the daemon stored, by kind', async () => {
  const h = await d.client.call('GET /v1/audit/histogram', { query: { since: '10m', buckets: '10' } });
  assert.equal(h.starts.length, 10);
  assert.equal(
    h.kinds.find((k) => k.kind === 'request.decided')?.counts.reduce((a, b) => a + b),
    3,
  );
  assert.ok(h.total >= 6, 'decisions, their ends, the daemon start and the listener');
});

test('bad bucket counts, ranges and filters are refused with a named error', async () => {
  for (const buckets of [
    '0',
    '-1',
    '1.5',
    'NaN',
    '1e3',
    String(MAX_HISTOGRAM_BUCKETS + 1),
    '99999999999999999999',
    '',
  ])
    await refused({ buckets }, /buckets must be a whole number/);
  await refused({ since: '1h', until: '2h' }, /since must be before until/);
  await refused({ since: 'yesterday-ish' }, /^since: /);
  await refused({ until: '2026-13-45T99:00:00Z' }, /^until: /);
  await refused({ outcome: "allowed' OR 1=1 --" }, /outcome must be one of/);
  await refused({ kind: 'request.decided' }, /kind is not a filter/);
});

test('values shaped like SQL are bound, not run: they match nothing and change nothing', async () => {
  const before = await d.client.call('GET /v1/audit/chain');
  for (const sandbox of ["x' OR '1'='1", 'x"; DROP TABLE records; --', '%', '*'])
    assert.equal(
      (await d.client.call('GET /v1/audit/histogram', { query: { sandbox, since: '1h' } })).total,
      0,
    );
  assert.equal((await d.client.call('GET /v1/audit/histogram', { query: { host: "' OR 1=1 --" } })).total, 0);
  const after = await d.client.call('GET /v1/audit/chain');
  assert.ok(after.ok);
  assert.ok(after.records >= before.records);
});

test('the widest range at the most buckets answers in bounded size', async () => {
  const h = await d.client.call('GET /v1/audit/histogram', {
    query: {
      since: '1970-01-01T00:00:00Z',
      until: '2999-01-01T00:00:00Z',
      buckets: String(MAX_HISTOGRAM_BUCKETS),
    },
  });
  assert.equal(h.starts.length, MAX_HISTOGRAM_BUCKETS);
  for (const k of h.kinds) assert.equal(k.counts.length, MAX_HISTOGRAM_BUCKETS);
  assert.ok(h.total >= 6);
});
