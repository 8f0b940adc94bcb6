// Splunk HEC export end to end: a device syncs to a real hub (SQLite and PostgreSQL), whose
// exporter sends to a receiver that follows Splunk's HEC docs (token, channel, event shape,
// ackIds confirmed late). Checks: every record indexed once with the device's OCSF object
// as the event; the cursor does not move before Splunk confirms; an ack that never comes
// → the batch is sent again after the ack timeout; a 503 storm loses nothing; a wrong
// token is the destination's last error (shown by `export ls`) and never names the token.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { VERSION } from '../../supervisor/api/version.ts';
import { addExportTarget, exportStatuses, runnerFor } from '../../supervisor/hub/exports/index.ts';
import type { SinkTuning } from '../../supervisor/hub/exports/targets.ts';
import { HecReceiver } from '../support/hec/receiver.ts';
import { TestDevice } from '../support/hub/device.ts';
import { type StoreKind, startTestHub, storeKinds } from '../support/hub/hub.ts';
import { tempDir } from '../support/temp-dir.ts';

type Ctx = import('node:test').TestContext;

async function hecSetup(t: Ctx, kind: StoreKind, n: number, token?: string) {
  const hub = await startTestHub(t, kind);
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  device.append(n);
  const client = await hub.enroll(device);
  for (let after = 0; after < n; after += 1000)
    assert.equal((await client.batch(device.rows(after, 1000))).status, 200);
  const rx = new HecReceiver();
  const url = await rx.listen();
  t.after(() => rx.close());
  const tokenFile = path.join(tempDir(t), 'hec.token');
  writeFileSync(tokenFile, `${token ?? rx.token}\n`, { mode: 0o600 });
  const target = await addExportTarget(hub.service.store, 'hec', url, 'splunk', hub.service.now(), {
    tokenFile,
    index: 'security',
  });
  const runner = (tuning: SinkTuning = {}) => runnerFor(hub.service.store, target, VERSION, tuning);
  return { hub, device, rx, url, tokenFile, target, runner };
}

for (const kind of storeKinds()) {
  test(`HEC export indexes every record once, with the device's OCSF as the event (${kind})`, async (t) => {
    const { hub, device, rx, target, runner } = await hecSetup(t, kind, 1200);
    assert.equal(target.target.includes(rx.token), false);
    assert.deepEqual(await runner().round(), { sent: 1200, rejected: 0, error: null });
    assert.equal(rx.indexed.size, 1200);
    assert.equal(rx.duplicates, 0);
    assert.equal(rx.eventRequests, 5, 'batches of 250');
    assert.deepEqual([...rx.authorizations], [`Splunk ${rx.token}`]);
    for (const seq of [1, 251, 1200]) {
      const got = rx.indexed.get(`${device.id}/${seq}`)!;
      const own = device.store.get(seq)!;
      assert.deepEqual(got.event, own.ocsf);
      assert.equal(got.fields.warden_hash, own.hash);
      assert.equal(got.time, Math.trunc(own.time) / 1000);
      assert.equal(got.host, 'devbox');
      assert.equal(got.index, 'security');
      assert.equal(got.sourcetype, 'warden:ocsf');
    }
    const [status] = await exportStatuses(hub.service.store);
    assert.equal(status!.lag, 0);
    assert.equal(status!.cursor[device.id], 1200);
    assert.equal(status!.lastError, null);
    assert.equal(JSON.stringify(status).includes(rx.token), false, 'the token is not in export ls');
  });
}

test('the cursor does not move before Splunk acknowledges the batch', async (t) => {
  const { hub, device, rx, runner } = await hecSetup(t, 'sqlite', 100);
  rx.behaviour = { ackDelayMs: 1500 };
  const round = runner({ ackPollMs: 100 }).round();
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(rx.eventRequests, 1, 'the batch was sent');
  assert.ok(rx.ackRequests >= 2, 'and its ack polled');
  assert.equal(rx.indexed.size, 0);
  const [before] = await exportStatuses(hub.service.store);
  assert.equal(before!.cursor[device.id], undefined, 'no cursor move while the ack is pending');
  assert.equal(before!.lag, 100);
  assert.deepEqual(await round, { sent: 100, rejected: 0, error: null });
  const [after] = await exportStatuses(hub.service.store);
  assert.equal(after!.cursor[device.id], 100);
});

test('an ack that never comes: the batch is sent again after the ack timeout', async (t) => {
  const { hub, device, rx, runner } = await hecSetup(t, 'sqlite', 600);
  rx.behaviour = { dropAck: (id) => id === 1 };
  const report = await runner({ ackTimeoutMs: 600, ackPollMs: 50 }).round();
  assert.deepEqual(report, { sent: 600, rejected: 0, error: null });
  assert.equal(rx.eventRequests, 4, '3 batches, the second sent twice');
  assert.equal(rx.indexed.size, 600, 'the lost batch arrived on the second send');
  assert.equal(rx.duplicates, 0);
  const [status] = await exportStatuses(hub.service.store);
  assert.equal(status!.cursor[device.id], 600);
  assert.match(status!.lastError ?? '', /never acknowledged; sent again/);
});

test('an ack that never comes within the retry window keeps the cursor', async (t) => {
  const { hub, device, rx, runner } = await hecSetup(t, 'sqlite', 100);
  rx.behaviour = { dropAck: () => true };
  const report = await runner({ ackTimeoutMs: 300, ackPollMs: 50, retryForMs: 1000 }).round();
  assert.match(report.error ?? '', /did not acknowledge the batch/);
  assert.equal(rx.indexed.size, 0);
  const [status] = await exportStatuses(hub.service.store);
  assert.equal(status!.cursor[device.id], undefined);
  assert.equal(status!.lag, 100);
});

test('a 3 s storm of 503 "Server is busy" loses and duplicates nothing', async (t) => {
  const { rx, runner } = await hecSetup(t, 'sqlite', 700);
  rx.behaviour = { stormUntil: Date.now() + 3000 };
  const report = await runner({ retryForMs: 20_000, capMs: 500 }).round();
  assert.deepEqual(report, { sent: 700, rejected: 0, error: null });
  assert.ok(rx.refusals.some((r) => r.status === 503 && r.code === 9));
  assert.equal(rx.indexed.size, 700);
  assert.equal(rx.duplicates, 0);
});

test('a wrong token is the last error in export ls, without the token', async (t) => {
  const wrong = 'ffffffff-0000-4000-8000-0000deadbeef';
  const { hub, device, rx, runner } = await hecSetup(t, 'sqlite', 50, wrong);
  const report = await runner().round();
  assert.match(report.error ?? '', /HTTP 403 \(code 4: Invalid token\) \(check the token in --token-file\)/);
  assert.equal(rx.refusals.length, 1, '403 is not retried');
  const [status] = await exportStatuses(hub.service.store);
  assert.match(status!.lastError ?? '', /Invalid token/);
  assert.equal(status!.cursor[device.id], undefined);
  assert.equal(JSON.stringify(status).includes(wrong), false);
});
