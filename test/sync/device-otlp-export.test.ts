// OTLP straight from a device, without a hub: a real daemon started with `otlpExport` sends
// its own audit records to the OTLP receiver (which checks every request against the OTLP
// JSON rules) while curl goes through its proxy. Checks: the request decisions arrive with
// the same OCSF object `GET /v1/audit` gives; `GET /v1/export/status` reaches backlog 0;
// a restarted daemon resumes from the cursor in the audit database (nothing twice); a
// receiver refusing with 400 shows as backing-off with the error, and recovery follows.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, until } from '../support/daemon.ts';
import { OtlpReceiver } from '../support/otlp/receiver.ts';
import { startUpstreams } from '../support/upstreams.ts';

test('a daemon exports its own audit trail over OTLP, resumes after a restart, shows failures', async (t) => {
  const up = await startUpstreams();
  t.after(() => up.close());
  const rx = new OtlpReceiver();
  const url = await rx.listen();
  t.after(() => rx.close());
  // Default timeouts: a tiny window would cut slow answers under load and resend (allowed by
  // the at-least-once contract, but this test counts duplicates). A 400 is final at once anyway.
  const otlpExport = { endpoint: url, intervalMs: 100 };
  let d = await startTestDaemon({ upstreamCa: [up.caPem], daemon: { otlpExport } });
  const home = d.home;
  t.after(async () => {
    await d.daemon.stop();
    await rm(home, { recursive: true, force: true });
  });

  const { env } = await d.listener(policyYaml('- match: 127.0.0.1\n  paths: ["/ok"]\n  action: allow'));
  assert.equal((await curl(env, [`http://127.0.0.1:${up.httpPort}/ok`])).status, 200);
  assert.equal((await curl(env, [`http://127.0.0.1:${up.httpPort}/no`])).status, 403);
  const decided = () =>
    [...rx.logs.values()].filter((l) => l.attributes['warden.kind'] === 'request.decided');
  await until('both decisions exported', () => decided().length === 2, 15_000);
  const status = async () => d.client.call('GET /v1/export/status');
  // Settled: nothing pending and the count confirmed equals what arrived (records keep being
  // written meanwhile, e.g. a request's end, so read both in one step).
  const s = await until(
    'backlog 0',
    async () => {
      const now = await status();
      return now.backlog === 0 && now.exported === rx.logs.size && now;
    },
    15_000,
  );
  assert.equal(s.state, 'ok');
  assert.equal(s.endpoint, `${url}/v1/logs`);
  assert.equal(s.exportedSeq, s.headSeq);
  assert.equal(rx.duplicates, 0);

  // The OTLP body is the OCSF object the local API gives for the same record.
  const page = await d.client.call('GET /v1/audit', { query: { kind: 'request.decided' } });
  for (const r of page.records) {
    const got = decided().find((l) => l.seq === r.seq);
    assert.ok(got, `seq ${r.seq} exported`);
    assert.deepEqual(got.body, r.ocsf);
    assert.equal(got.resource['service.name'], 'warden');
    assert.equal(got.hash, r.hash);
  }
  assert.deepEqual(
    decided()
      .map((l) => l.attributes['warden.outcome'])
      .sort(),
    ['allowed', 'denied'],
  );

  // Restart on the same state folder: the cursor is in the audit database.
  const before = rx.logs.size;
  await d.daemon.stop();
  d = await startTestDaemon({ home, upstreamCa: [up.caPem], daemon: { otlpExport } });
  const again = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
  assert.equal((await curl(again.env, [`http://127.0.0.1:${up.httpPort}/ok`])).status, 200);
  await until('the new decision exported', () => decided().length === 3, 15_000);
  await until('backlog 0 again', async () => (await status()).backlog === 0, 15_000);
  assert.ok(rx.logs.size > before);
  assert.equal(rx.duplicates, 0, 'nothing sent twice after the restart');

  // A receiver that refuses: backing-off with the error; then it recovers.
  rx.behaviour = { fixed: { status: 400, body: '{"code":3,"message":"nope"}' } };
  assert.equal((await curl(again.env, [`http://127.0.0.1:${up.httpPort}/ok`])).status, 200);
  await until('backing off', async () => (await status()).state === 'backing-off', 15_000);
  const failing = await status();
  assert.match(failing.lastError ?? '', /HTTP 400 \(not retryable\)/);
  assert.ok(failing.backlog > 0);
  assert.ok(failing.nextAttempt);
  rx.behaviour = {};
  await until(
    'recovered',
    async () => (await status()).state === 'ok' && (await status()).backlog === 0,
    20_000,
  );
  assert.equal(decided().length, 4);
  assert.equal(rx.duplicates, 0);
});

test('the status is off without --otlp-export', async (t) => {
  const d = await startTestDaemon();
  t.after(() => d.stop());
  const s = await d.client.call('GET /v1/export/status');
  assert.equal(s.state, 'off');
  assert.equal(s.endpoint, null);
});
