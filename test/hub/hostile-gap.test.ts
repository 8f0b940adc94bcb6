// A device acknowledging a gap (its size cap pruned records the hub never got): the hub takes
// the batch after it only when the declaration covers the seq it expects, names a checkpoint
// after the gap, and the batch links to the declared hash. Anything else is ignored or
// refused, and the batch after a hole stays a 409 gap.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HUB_PATHS, type HubBatchResponse } from '../../supervisor/api/hub.ts';
import { verifyHub } from '../../supervisor/hub/verify.ts';
import { syntheticChain, TestDevice } from '../support/hub/device.ts';
import { startTestHub, storeKinds } from '../support/hub/hub.ts';
import type { HubClient } from '../support/hub/hub-client.ts';
import { tempDir } from '../support/temp-dir.ts';

type ErrorBody = { error: { name: string; message: string } };

function beat(client: HubClient, gap: unknown) {
  return client.json(HUB_PATHS.heartbeat, { head: null, backlog: 0, time: Date.now(), gap });
}

for (const kind of storeKinds()) {
  test(`${kind}: a gap is taken only as the device acknowledged it`, async (t) => {
    const hub = await startTestHub(t, kind);
    const device = new TestDevice(tempDir(t));
    t.after(() => device.close());
    const client = await hub.enroll(device, { head: null });
    const rows = syntheticChain(100);
    assert.equal((await client.batch(rows.slice(0, 10))).status, 200);
    const after = rows.slice(50); // records 11…50 were "pruned"
    const gapped = async () => (await client.batch(after)) as { status: number; body: ErrorBody };

    // Not declared: 409 gap naming the seq expected.
    let reply = await gapped();
    assert.equal(reply.status, 409);
    assert.equal(reply.body.error.name, 'ChainGap');

    // Malformed declarations are refused whole.
    for (const bad of [
      { checkpointSeq: 100, throughSeq: 50, lastHash: 'zz' },
      { checkpointSeq: 100, throughSeq: 50, lastHash: rows[49]!.hash, extra: 1 },
      { checkpointSeq: -1, throughSeq: 50, lastHash: rows[49]!.hash },
    ]) {
      assert.equal((await beat(client, bad)).status, 400, JSON.stringify(bad));
    }
    // Declarations that do not account for the hole are ignored: the batch stays a gap.
    assert.equal(
      (await beat(client, { checkpointSeq: 100, throughSeq: 8, lastHash: rows[7]!.hash })).status,
      200,
    );
    assert.equal(
      (await beat(client, { checkpointSeq: 50, throughSeq: 50, lastHash: rows[49]!.hash })).status,
      200,
    );
    assert.equal((await gapped()).status, 409);
    // A declaration whose hash is not the one the next record links to: still a gap.
    assert.equal(
      (await beat(client, { checkpointSeq: 100, throughSeq: 50, lastHash: rows[48]!.hash })).status,
      200,
    );
    reply = await gapped();
    assert.equal(reply.status, 409, JSON.stringify(reply.body));
    assert.equal(await hub.service.store.gaps(device.id).then((g) => g.length), 1);

    // A declaration of a gap ending elsewhere (49) with the right hash of 49 does not let 51… in.
    assert.equal(
      (await beat(client, { checkpointSeq: 100, throughSeq: 49, lastHash: rows[48]!.hash })).status,
      200,
    );
    assert.equal((await gapped()).status, 409);
    // The device corrects its declaration (not yet used): now the batch links and is taken.
    assert.equal(
      (await beat(client, { checkpointSeq: 100, throughSeq: 50, lastHash: rows[49]!.hash })).status,
      200,
    );
    reply = await gapped();
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    // Once used, the gap cannot be declared again with another hash (it is behind the head).
    assert.equal(
      (await beat(client, { checkpointSeq: 100, throughSeq: 50, lastHash: rows[48]!.hash })).status,
      200,
    );
    const gaps = await hub.service.store.gaps(device.id);
    assert.equal(gaps.find((g) => g.throughSeq === 50)?.lastHash, rows[49]!.hash);
    const report = await verifyHub(hub.service.store, hub.service.log);
    assert.deepEqual(report.problems, []);
  });

  test(`${kind}: an acknowledged gap is alerted once, the batch after it taken, verify clean`, async (t) => {
    const hub = await startTestHub(t, kind);
    const device = new TestDevice(tempDir(t));
    t.after(() => device.close());
    const client = await hub.enroll(device, { head: null });
    const rows = syntheticChain(100);
    assert.equal((await client.batch(rows.slice(0, 10))).status, 200);
    const gap = { checkpointSeq: 100, throughSeq: 50, lastHash: rows[49]!.hash };
    assert.equal((await beat(client, gap)).status, 200);
    assert.equal((await beat(client, gap)).status, 200); // said twice: one alert
    const reply = await client.batch(rows.slice(50));
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal((reply.body as HubBatchResponse).acknowledged.seq, 100);
    const alerts = (await hub.service.store.alerts(device.id)).filter((a) => a.kind === 'gap');
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.seq, 11);
    assert.match(alerts[0]!.message, /records 11…50 were pruned on the device/);
    const report = await verifyHub(hub.service.store, hub.service.log);
    assert.deepEqual(report.problems, []);
    assert.equal(report.records, 60);
    // A resend after the gap is a no-op.
    const resent = await client.batch(rows.slice(50, 60));
    assert.equal(resent.status, 200);
    assert.equal((resent.body as HubBatchResponse).duplicates, 10);
  });
}
