// Every governance event of a real daemon lands in the audit trail, and the proxy fails
// closed while the trail cannot be written.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({ upstreamCa: [up.caPem] });
});
after(async () => {
  await d.stop();
  await up.close();
});

test('decisions, approvals and user actions are recorded, and the chain verifies through the API', async () => {
  const { env, listener } = await d.listener(
    policyYaml(`- match: 127.0.0.1\n  paths: ["/ok"]\n  action: allow`),
  );
  assert.equal((await curl(env, [`http://127.0.0.1:${up.httpPort}/ok`])).status, 200);
  assert.equal((await curl(env, [`http://127.0.0.1:${up.httpPort}/no`])).status, 403);
  // The writer commits on its own thread: wait for both decisions rather than a count
  // (the user action and each request's end are records too).
  const kindsOf = () =>
    d.daemon.audit
      .query({ sandbox: listener.sandboxId }, { limit: 20 })
      .records.map((r) => `${r.kind}:${r.outcome}`);
  await until('both decisions', () => {
    const kinds = kindsOf();
    return kinds.includes('request.decided:allowed') && kinds.includes('request.decided:denied');
  }).catch((e: Error) => assert.fail(`${e.message}; recorded: ${kindsOf().join()}`));
  const viaApi = await d.client.call('GET /v1/audit', {
    query: { sandbox: listener.sandboxId, outcome: 'denied' },
  });
  assert.equal(viaApi.records.length, 1);
  assert.equal(viaApi.records[0]?.ocsf.class_uid, 4002);
  const all = await d.client.call('GET /v1/audit', { query: { kind: 'user.action' } });
  assert.ok(all.records.some((r) => r.sandboxId === listener.sandboxId));
  const chain = await d.client.call('GET /v1/audit/chain');
  assert.equal(chain.ok, true);
  assert.equal(chain.fault, null);
  assert.ok(chain.records >= 4);
});

test('an API call answers only once the record of what it did is committed', async () => {
  const { listener } = await d.listener(policyYaml(`- match: 127.0.0.1\n  action: allow`));
  // No waiting: the call returned, so its user action is already in the trail.
  const actions = d.daemon.audit.query({ kind: 'user.action', sandbox: listener.sandboxId }, { limit: 10 });
  assert.ok(
    actions.records.some((r) => r.sandboxId === listener.sandboxId),
    'listener.create is committed when POST /v1/sandboxes returns',
  );
});

test('while the trail is locked the proxy answers 503 and forwards nothing; it recovers after', async () => {
  const { env } = await d.listener(policyYaml(`- match: 127.0.0.1\n  action: allow`));
  const blocker = new Database(d.daemon.paths.auditDb);
  blocker.pragma('busy_timeout = 0');
  blocker.exec('BEGIN EXCLUSIVE');
  try {
    // The first event that cannot be written raises the fault (busy timeout 250 ms; the
    // writer thread reports it asynchronously).
    await curl(env, [`http://127.0.0.1:${up.httpPort}/while-locked-1`]);
    await until('the fault', () => d.daemon.fault);
    assert.match(String(d.daemon.fault), /audit trail cannot be written/);
    const before = up.received.length;
    const r = await curl(env, [`http://127.0.0.1:${up.httpPort}/while-locked-2`]);
    assert.equal(r.status, 503);
    assert.match(r.body, /failing closed: the audit trail cannot be written/);
    assert.equal(up.received.length, before, 'nothing was forwarded');
    // An API call whose record cannot be committed says so instead of answering OK.
    await assert.rejects(
      d.listener(policyYaml(`- match: 127.0.0.1\n  action: allow`)),
      /audit record was not committed/,
    );
  } finally {
    blocker.exec('ROLLBACK');
    blocker.close();
  }
  // The next event written clears the fault, and traffic flows again.
  await curl(env, [`http://127.0.0.1:${up.httpPort}/after-1`]);
  await until('the recovery', () => d.daemon.fault === null);
  const ok = await curl(env, [`http://127.0.0.1:${up.httpPort}/after-2`]);
  assert.equal(ok.status, 200);
  assert.equal(d.daemon.fault, null);
  assert.ok(d.logs.some((l) => l.includes('audit trail fault: failing closed')));
});
