// Several hub processes on one database (what a company runs behind a load balancer): two
// hubs sharing the key and a PostgreSQL database take interleaved batches from devices
// syncing at once, and the same batch sent to both at the same moment. Nothing is stored
// twice, no gap opens, every receipt checks, and the hub's verify is clean.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubBatchResponse } from '../../supervisor/api/hub.ts';
import { verifyHub } from '../../supervisor/hub/verify.ts';
import { type SeenTree, verifyReceipt } from '../../supervisor/hub-protocol/receipt.ts';
import { parseVerifierKey } from '../../supervisor/tlog/note.ts';
import { syntheticChain, TestDevice } from '../support/hub/device.ts';
import { startTestHub, storeKinds } from '../support/hub/hub.ts';
import { HubClient } from '../support/hub/hub-client.ts';
import { tempDir } from '../support/temp-dir.ts';

for (const kind of storeKinds()) {
  test(`${kind}: two hubs on one database take interleaved and racing batches from 8 devices`, async (t) => {
    const a = await startTestHub(t, kind);
    const b = await startTestHub(t, kind, {
      home: a.home,
      db: kind === 'sqlite' ? `sqlite:${a.home}/hub.db` : a.db,
    });
    const verifier = parseVerifierKey(a.service.verifierKey);
    const dir = tempDir(t);
    const devices = Array.from({ length: 8 }, (_, i) => new TestDevice(dir, `d${i}`));
    t.after(() => {
      for (const d of devices) d.close();
    });
    const perDevice = 1500;
    const batch = 250;
    await Promise.all(
      devices.map(async (device, i) => {
        const viaA = await a.enroll(device, { head: null });
        const viaB = new HubClient(b.url, device.id, device.privateKey);
        const rows = syntheticChain(perDevice, 1, undefined, `d${i}`);
        let previous: SeenTree | null = null;
        for (let k = 0; k < rows.length; k += batch) {
          const part = rows.slice(k, k + batch);
          const clients = (k / batch) % 2 === 0 ? [viaA] : [viaB];
          if (i === 0 && k === batch * 2) clients.push(viaA); // the same batch to both hubs at once
          const replies = await Promise.all(clients.map((c) => c.batch(part)));
          let stored = 0;
          for (const reply of replies) {
            assert.equal(reply.status, 200, JSON.stringify(reply.body));
            const body = reply.body as HubBatchResponse;
            stored += body.stored;
            const last = part.at(-1)!;
            const tree = verifyReceipt(body.receipt, {
              verifier,
              origin: a.service.log.origin,
              device: device.id,
              seq: last.seq,
              hash: last.hash,
              previous: null,
            });
            if (!previous || tree.size > previous.size) previous = tree;
          }
          assert.equal(stored, part.length);
          viaA.treeSize = previous?.size ?? 0;
          viaB.treeSize = previous?.size ?? 0;
        }
      }),
    );
    const report = await verifyHub(a.service.store, a.service.log);
    assert.deepEqual(report.problems, []);
    assert.equal(report.records, devices.length * perDevice);
    assert.equal(report.leaves, (devices.length * perDevice) / batch);
    for (const d of devices) {
      assert.deepEqual(await a.service.store.alerts(d.id), []);
      assert.equal((await b.service.store.device(d.id))?.head?.seq, perDevice);
    }
  });
}
