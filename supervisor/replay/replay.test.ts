// The replay over a real SQLite audit store, in real worker threads: the exact set of shapes
// a rule change flips, with counts and first/last seen, whatever the number of slices; the
// since and sandbox filters; CONNECT tunnels; and a cancel that stops it.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { WardenEvent } from '../../supervisor/api/events.ts';
import { AuditStore } from '../../supervisor/audit/index.ts';
import { doc } from '../../test/support/policy.ts';
import { tempDir } from '../../test/support/temp-dir.ts';
import type { PolicyPair } from './decide-shapes.ts';
import { runReplay } from './run-replay.ts';

const T0 = Date.parse('2026-11-01T00:00:00Z');

function request(i: number, sandboxId: string, method: string, url: string): WardenEvent {
  const u = new URL(url);
  return {
    type: 'request.decided',
    id: `rq-${i}`,
    time: new Date(T0 + i * 1000).toISOString(),
    sandboxId,
    user: 'ana',
    method,
    scheme: u.protocol === 'http:' ? 'http' : 'https',
    host: u.hostname,
    port: Number(u.port || (u.protocol === 'http:' ? 80 : 443)),
    path: method === 'CONNECT' ? '' : u.pathname,
    outcome: 'allowed',
    rule: null,
    reason: 'recorded',
    decidedBy: 'policy',
  } as WardenEvent;
}

/** 60 records: sb-a GETs and POSTs api.example.com, sb-b GETs it and tunnels to other.example. */
function fill(file: string): void {
  const store = AuditStore.open(file, { durability: 'normal' });
  const events: WardenEvent[] = [];
  for (let i = 0; i < 60; i++) {
    if (i % 3 === 0) events.push(request(i, 'sb-a', 'GET', 'https://api.example.com/repos/x'));
    else if (i % 3 === 1) events.push(request(i, 'sb-a', 'POST', 'https://api.example.com/repos/x'));
    else if (i % 2 === 0) events.push(request(i, 'sb-b', 'GET', 'https://api.example.com/repos/y'));
    else events.push(request(i, 'sb-b', 'CONNECT', 'https://other.example:443'));
    if (i === 30)
      events.push({
        type: 'daemon.started',
        time: new Date(T0).toISOString(),
        user: 'ana',
        pid: 1,
        version: 't',
      } as WardenEvent);
  }
  store.appendBatch(events);
  store.close();
}

const before = doc([{ match: 'api.example.com', action: 'allow' }], { default: 'deny' });
const after = doc(
  [
    { match: 'api.example.com', methods: ['GET'], action: 'allow' },
    { match: 'other.example', action: 'allow' },
  ],
  { default: 'deny' },
);
const pair: PolicyPair = {
  before: [{ layer: 'project', source: 'before.yaml', document: before }],
  after: [{ layer: 'project', source: 'after.yaml', document: after }],
};

test('a rule change lists exactly the recorded shapes it flips, with counts, in any number of slices', async (t) => {
  const file = path.join(tempDir(t), 'audit.db');
  fill(file);
  for (const threads of [1, 3]) {
    const r = await runReplay({ file, pairs: { all: pair }, threads });
    assert.equal(r.scanned, 60);
    const got = r.differences.map((d) => [
      d.sandboxId,
      d.method,
      d.host,
      d.path,
      d.count,
      d.before.action,
      d.after.action,
    ]);
    assert.deepEqual(got, [
      ['sb-a', 'POST', 'api.example.com', '/repos/x', 20, 'allow', 'deny'],
      ['sb-b', 'CONNECT', 'other.example', '', 10, 'deny', 'allow'],
    ]);
    assert.equal(r.requestsDiffering, 30);
    const post = r.differences[0];
    assert.equal(post?.firstSeen, new Date(T0 + 1000).toISOString());
    assert.equal(post?.lastSeen, new Date(T0 + 58_000).toISOString());
    assert.equal(post?.after.rule, null, 'the default decides the POST after');
    assert.equal(r.differences[1]?.after.rule?.match, 'other.example');
  }
});

test('since and sandbox narrow the records read', async (t) => {
  const file = path.join(tempDir(t), 'audit.db');
  fill(file);
  const late = await runReplay({ file, pairs: { all: pair }, since: T0 + 30_000 });
  assert.equal(late.scanned, 30);
  assert.equal(late.differences[0]?.count, 10);
  const b = await runReplay({ file, pairs: { all: pair }, sandbox: 'sb-b' });
  assert.deepEqual(
    b.differences.map((d) => [d.sandboxId, d.method, d.count]),
    [['sb-b', 'CONNECT', 10]],
  );
  // A pair for one sandbox only: the others are not judged.
  const only = await runReplay({ file, pairs: { bySandbox: { 'sb-a': pair } } });
  assert.deepEqual(
    only.differences.map((d) => d.sandboxId),
    ['sb-a'],
  );
});

test('an aborted replay rejects as cancelled and leaves no thread behind', async (t) => {
  const file = path.join(tempDir(t), 'audit.db');
  fill(file);
  const abort = new AbortController();
  abort.abort();
  await assert.rejects(runReplay({ file, pairs: { all: pair }, signal: abort.signal }), {
    name: 'Cancelled',
  });
  const mid = new AbortController();
  const running = runReplay({ file, pairs: { all: pair }, signal: mid.signal, threads: 2 });
  mid.abort();
  await assert.rejects(running, { name: 'Cancelled' });
});
