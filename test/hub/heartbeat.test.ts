// Heartbeats and what the hub concludes from them: the acknowledged head and a consistency
// proof, a skewed clock, a restored older database (rollback) answered with a challenge, a
// rewritten record named by the challenge answer, a silent device, and (PostgreSQL) records
// with far-off event times landing in the default partition, flagged.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import type { HubBatchResponse, HubChallengeResult, HubHeartbeatResponse } from '../../supervisor/api/hub.ts';
import { HUB_PATHS } from '../../supervisor/api/hub.ts';
import { checkConsistency, openCheckpoint, verifyReceipt } from '../../supervisor/hub-protocol/receipt.ts';
import { parseVerifierKey } from '../../supervisor/tlog/note.ts';
import { syntheticChain, TestDevice } from '../support/hub/device.ts';
import { startTestHub, storeKinds } from '../support/hub/hub.ts';
import { tempDir } from '../support/temp-dir.ts';

for (const kind of storeKinds()) {
  test(`${kind}: heartbeats carry the head and a consistency proof; skew and rollback are flagged`, async (t) => {
    const hub = await startTestHub(t, kind, { challengeRate: 0 });
    const verifier = parseVerifierKey(hub.service.verifierKey);
    const origin = hub.service.log.origin;
    const device = new TestDevice(tempDir(t));
    t.after(() => device.close());
    device.append(200);
    const client = await hub.enroll(device);
    const rows = device.rows(0, 200);
    const first = (await client.batch(rows.slice(0, 100))).body as HubBatchResponse;
    const seen = verifyReceipt(first.receipt, {
      verifier,
      origin,
      device: device.id,
      seq: 100,
      hash: rows[99]!.hash,
      previous: null,
    });
    client.treeSize = seen.size;
    assert.equal((await client.batch(rows.slice(100))).status, 200);

    const beat = await client.heartbeat(device.head(), 0);
    assert.equal(beat.status, 200);
    const body = beat.body as HubHeartbeatResponse;
    assert.deepEqual(body.acknowledged, device.head());
    assert.equal(body.challenge, null);
    const tree = openCheckpoint(body.checkpoint, verifier, origin);
    assert.equal(tree.size, 2);
    checkConsistency(seen, tree.size, tree.root, body.consistency);
    assert.deepEqual(await hub.service.store.alerts(device.id), []);

    await client.heartbeat(device.head(), 0, Date.now() + 3_600_000);
    // An older copy of the audit database: the device reports head 60 (with its true hash).
    const restored = await client.heartbeat({ seq: 60, hash: rows[59]!.hash }, 0);
    const challenge = (restored.body as HubHeartbeatResponse).challenge;
    assert.ok(challenge);
    assert.ok(challenge.seqs.every((s) => s >= 1 && s <= 60) && challenge.seqs.includes(60));
    const alerts = await hub.service.store.alerts(device.id);
    assert.deepEqual(
      alerts.map((a) => a.kind),
      ['clock-skew', 'rollback'],
    );
    assert.match(alerts[1]!.message, /reports head 60 but the hub holds up to 200/);
    // The same challenge comes back until it is answered.
    assert.deepEqual(
      ((await client.heartbeat(device.head(), 0)).body as HubHeartbeatResponse).challenge,
      challenge,
    );
  });

  test(`${kind}: a challenge answer names the first rewritten record; silent devices are flagged once`, async (t) => {
    const hub = await startTestHub(t, kind, { challengeRate: 1, silentAfterMs: 50 });
    const device = new TestDevice(tempDir(t));
    t.after(() => device.close());
    device.append(100);
    const client = await hub.enroll(device);
    const rows = device.rows(0, 100);
    assert.equal((await client.batch(rows)).status, 200);
    const { challenge } = (await client.heartbeat(device.head(), 0)).body as HubHeartbeatResponse;
    assert.ok(challenge);
    const honest = challenge.seqs.map((seq) => ({ seq, hash: rows[seq - 1]!.hash }));
    const ok = await client.json<HubChallengeResult>(HUB_PATHS.challenge, { answers: honest });
    assert.deepEqual(ok.body, { ok: true, firstDivergent: null });

    const answers = [
      { seq: 30, hash: 'f'.repeat(64) },
      { seq: 70, hash: 'e'.repeat(64) },
      { seq: 90, hash: null },
      { seq: 100, hash: rows[99]!.hash },
    ];
    const bad = await client.json<HubChallengeResult>(HUB_PATHS.challenge, { answers });
    assert.deepEqual(bad.body, { ok: false, firstDivergent: 30 });
    assert.deepEqual(
      (await hub.service.store.alerts(device.id)).map((a) => [a.kind, a.seq]),
      [['fork', 30]],
    );

    await new Promise((r) => setTimeout(r, 80));
    assert.deepEqual(await hub.service.sweepSilent(), [device.id]);
    assert.deepEqual(await hub.service.sweepSilent(), []);
  });
}

test('postgres: records with far-off event times land in the default partition and flag the device', async (t) => {
  if (!storeKinds().includes('postgres')) {
    t.skip('PostgreSQL not available (WARDEN_TEST_PG)');
    return;
  }
  const hub = await startTestHub(t, 'postgres');
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  const client = await hub.enroll(device, { head: null });
  const now = Date.now();
  const normal = syntheticChain(10, 1, undefined, 'n', now);
  const wrongClock = syntheticChain(5, 11, normal.at(-1)!.hash, 'w', Date.UTC(2001, 0, 1));
  assert.equal((await client.batch(normal)).status, 200);
  assert.equal((await client.batch(wrongClock)).status, 200);
  const c = new pg.Client({ connectionString: hub.db });
  c.on('error', () => undefined); // the database is dropped when the test ends
  await c.connect();
  const parts = await c.query(
    'SELECT tableoid::regclass::text AS part, count(*)::int AS n FROM records GROUP BY 1 ORDER BY 1',
  );
  const month = new Date(now);
  const name = `records_${month.getUTCFullYear()}${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
  assert.deepEqual(parts.rows, [
    { part: name, n: 10 },
    { part: 'records_default', n: 5 },
  ]);
  assert.equal((await hub.service.store.device(device.id))?.defaultPartition, true);
  const alerts = await hub.service.store.alerts(device.id);
  assert.deepEqual(
    alerts.map((a) => [a.kind, a.seq]),
    [['default-partition', 11]],
  );
  // A resend is a no-op (primary key device, seq, time), in the default partition too.
  const again = (await client.batch(wrongClock)).body as HubBatchResponse;
  assert.deepEqual([again.stored, again.duplicates], [0, 5]);
  assert.equal((await c.query('SELECT count(*)::int AS n FROM records')).rows[0].n, 15);
  await c.end();
});
