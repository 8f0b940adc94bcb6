// OTLP export end to end: a device with a real audit store syncs to a real hub (SQLite and
// PostgreSQL); the hub's exporter sends its records to an OTLP/HTTP receiver that checks the
// JSON against the spec's rules. Checks: every record arrives once with the device's own OCSF
// object as its body; a 10 s 503 storm loses and duplicates nothing; a partial success is
// not resent; a 400 leaves the cursor where it was; the cursor survives a new runner.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VERSION } from '../../supervisor/api/version.ts';
import { addExportTarget, exportStatuses, runnerFor } from '../../supervisor/hub/exports/index.ts';
import { TestDevice } from '../support/hub/device.ts';
import { type StoreKind, startTestHub, storeKinds, type TestHub } from '../support/hub/hub.ts';
import { OtlpReceiver } from '../support/otlp/receiver.ts';
import { tempDir } from '../support/temp-dir.ts';

async function hubWithRecords(t: import('node:test').TestContext, kind: StoreKind, n: number) {
  const hub = await startTestHub(t, kind);
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  device.append(n);
  const client = await hub.enroll(device);
  for (let after = 0; after < n; after += 1000) {
    const reply = await client.batch(device.rows(after, 1000));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
  }
  return { hub, device, client };
}

async function receiver(t: import('node:test').TestContext): Promise<{ rx: OtlpReceiver; url: string }> {
  const rx = new OtlpReceiver();
  const url = await rx.listen();
  t.after(() => rx.close());
  return { rx, url };
}

async function target(hub: TestHub, url: string) {
  return addExportTarget(hub.service.store, 'otlp', url, 'collector', hub.service.now());
}

for (const kind of storeKinds()) {
  test(`OTLP export delivers every record once, with the device's OCSF (${kind})`, async (t) => {
    const { hub, device, client } = await hubWithRecords(t, kind, 2500);
    const { rx, url } = await receiver(t);
    const runner = runnerFor(hub.service.store, await target(hub, url), VERSION);
    const report = await runner.round();
    assert.deepEqual(report, { sent: 2500, rejected: 0, error: null });
    assert.equal(rx.logs.size, 2500);
    assert.equal(rx.duplicates, 0);
    assert.equal(rx.requests, 3, 'batches of 1,000');
    for (const seq of [1, 777, 2500]) {
      const got = rx.logs.get(`${device.id}/${seq}`)!;
      const own = device.store.get(seq)!;
      assert.deepEqual(got.body, own.ocsf, `seq ${seq}: the body is the device's OCSF object`);
      assert.equal(got.hash, own.hash);
      assert.equal(got.attributes['warden.prev_hash'], own.prevHash);
      assert.equal(got.timeUnixNano, `${BigInt(own.time) * 1_000_000n}`);
      assert.equal(got.resource['service.name'], 'warden');
      assert.equal(got.resource['host.id'], device.id);
      assert.equal(got.resource['host.name'], 'devbox');
      assert.ok(got.severityNumber >= 1, 'an OCSF severity maps to an OTLP severity');
    }
    const [status] = await exportStatuses(hub.service.store);
    assert.equal(status!.lag, 0);
    assert.equal(status!.exported, 2500);
    assert.equal(status!.cursor[device.id], 2500);
    assert.equal(status!.lastError, null);

    // More records later: a new runner (a restarted hub) starts from the stored cursor.
    device.append(300);
    assert.equal((await client.batch(device.rows(2500))).status, 200);
    assert.equal((await exportStatuses(hub.service.store))[0]!.lag, 300);
    const [stored] = await hub.service.store.exportTargets();
    const again = runnerFor(hub.service.store, stored!, VERSION);
    assert.deepEqual(await again.round(), { sent: 300, rejected: 0, error: null });
    assert.equal(rx.logs.size, 2800);
    assert.equal(rx.duplicates, 0);
    assert.equal((await exportStatuses(hub.service.store))[0]!.lag, 0);
  });
}

test('a partial success is not resent; the rejection is the last error', async (t) => {
  const { hub, device } = await hubWithRecords(t, 'sqlite', 1200);
  const { rx, url } = await receiver(t);
  rx.behaviour = { reject: (seq) => seq % 100 === 0 };
  const runner = runnerFor(hub.service.store, await target(hub, url), VERSION);
  const report = await runner.round();
  assert.deepEqual(report, { sent: 1188, rejected: 12, error: null });
  assert.equal(rx.requests, 2, 'no retry after a partial success');
  assert.equal(rx.logs.has(`${device.id}/100`), false);
  assert.equal(rx.logs.size, 1188);
  const [status] = await exportStatuses(hub.service.store);
  assert.equal(status!.cursor[device.id], 1200);
  assert.match(status!.lastError ?? '', /rejected 2 record\(s\): seq not wanted/);
});

test('a 400 is not retried and leaves the cursor; the next round sends it', async (t) => {
  const { hub, device } = await hubWithRecords(t, 'sqlite', 50);
  const { rx, url } = await receiver(t);
  rx.behaviour = { fixed: { status: 400, body: '{"code":3,"message":"bad"}' } };
  const runner = runnerFor(hub.service.store, await target(hub, url), VERSION);
  const report = await runner.round();
  assert.match(report.error ?? '', /HTTP 400 \(not retryable\)/);
  assert.equal(rx.requests, 1);
  let [status] = await exportStatuses(hub.service.store);
  assert.equal(status!.lag, 50);
  assert.equal(status!.cursor[device.id], undefined);
  rx.behaviour = {};
  assert.deepEqual(await runner.round(), { sent: 50, rejected: 0, error: null });
  [status] = await exportStatuses(hub.service.store);
  assert.equal(status!.lag, 0);
  assert.equal(status!.lastError, null);
});

test('a 10 s storm of 503 (and 429 with Retry-After) loses and duplicates nothing', async (t) => {
  const { hub } = await hubWithRecords(t, 'sqlite', 3000);
  const { rx, url } = await receiver(t);
  const started = Date.now();
  rx.behaviour = { stormUntil: started + 10_000 };
  const runner = runnerFor(hub.service.store, await target(hub, url), VERSION, {
    retryForMs: 30_000,
    baseMs: 100,
    capMs: 2000,
  });
  const report = await runner.round();
  const took = Date.now() - started;
  assert.deepEqual(report, { sent: 3000, rejected: 0, error: null });
  assert.ok(took >= 10_000 && took < 20_000, `took ${took} ms`);
  assert.equal(rx.logs.size, 3000);
  assert.equal(rx.duplicates, 0);
  const storms = rx.statuses.filter((s) => s === 503).length;
  assert.ok(storms >= 5 && storms < 200, `${storms} retries in 10 s: backed off, not hammered`);

  // 429 with Retry-After: 1 → the exporter waits about a second between tries.
  const more = new TestDevice(tempDir(t), 'second');
  t.after(() => more.close());
  more.append(10);
  const client = await hub.enroll(more);
  assert.equal((await client.batch(more.rows())).status, 200);
  rx.statuses = [];
  rx.behaviour = { stormUntil: Date.now() + 2500, stormStatus: 429, retryAfterSeconds: 1 };
  const t0 = Date.now();
  assert.deepEqual(await runner.round(), { sent: 10, rejected: 0, error: null });
  const waits = rx.statuses.filter((s) => s === 429).length;
  assert.ok(waits >= 2 && waits <= 4, `${waits} tries in a 2.5 s storm with Retry-After: 1`);
  assert.ok(Date.now() - t0 >= 2500);
  assert.equal(rx.logs.size, 3010);
});

test('a storm longer than the retry budget leaves the cursor and names the error', async (t) => {
  const { hub } = await hubWithRecords(t, 'sqlite', 20);
  const { rx, url } = await receiver(t);
  rx.behaviour = { stormUntil: Date.now() + 60_000, retryAfterSeconds: 0 };
  const runner = runnerFor(hub.service.store, await target(hub, url), VERSION, { retryForMs: 1500 });
  const report = await runner.round();
  // The last try may be cut by the deadline on a busy machine ("timed out"): either names it.
  assert.match(report.error ?? '', /(HTTP 503|timed out) \(gave up retrying\)/);
  assert.ok(rx.statuses.includes(503));
  const [status] = await exportStatuses(hub.service.store);
  assert.equal(status!.lag, 20);
  assert.match(status!.lastError ?? '', /gave up retrying/);
  assert.ok(status!.lastAttempt > 0 && status!.lastSuccess === null);
});

test('the receiver refuses what the OTLP JSON rules forbid, keeping bodies or not', async () => {
  const { checkRequest } = await import('../support/otlp/receiver.ts');
  const record = (body: unknown, over: Record<string, unknown> = {}) => ({
    resourceLogs: [
      {
        resource: {
          attributes: ['service.name', 'service.version', 'host.name', 'host.id'].map((key) => ({
            key,
            value: { stringValue: 'x' },
          })),
        },
        scopeLogs: [
          {
            logRecords: [
              {
                timeUnixNano: '1',
                observedTimeUnixNano: '1',
                severityNumber: 9,
                body,
                attributes: [
                  { key: 'warden.device.id', value: { stringValue: 'd' } },
                  { key: 'warden.seq', value: { intValue: '1' } },
                ],
                ...over,
              },
            ],
          },
        ],
      },
    ],
  });
  for (const keep of [true, false]) {
    assert.equal(
      checkRequest(record({ kvlistValue: { values: [{ key: 'a', value: { intValue: '2' } }] } }), keep)
        .length,
      1,
    );
    for (const [bad, why] of [
      [record({ intValue: 2 }), /intValue/],
      [record({ stringValue: 'a', boolValue: true }), /AnyValue/],
      [
        record({
          kvlistValue: {
            values: [
              { key: 'a', value: {} },
              { key: 'a', value: {} },
            ],
          },
        }),
        /key/,
      ],
      [record({ bytes: 'x' }), /unknown AnyValue/],
      [record({}, { timeUnixNano: 1 }), /timeUnixNano/],
      [record({}, { severityNumber: 25 }), /severityNumber/],
    ] as const) {
      assert.throws(() => checkRequest(bad, keep), why);
    }
  }
});
