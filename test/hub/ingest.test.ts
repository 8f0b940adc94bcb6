// The hub end to end over HTTP, on SQLite and on PostgreSQL: a device with a real audit store
// enrolls, syncs in batches and checks every receipt; resends are trimmed; a gap, a fork (a
// same-user rewrite of synced records, chain recomputed) and a revoked key are refused by
// name; the hub's own verify names a row edited in its database.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { HubBatchResponse, HubHeadsResponse, HubRecord } from '../../supervisor/api/hub.ts';
import { HUB_PATHS } from '../../supervisor/api/hub.ts';
import { rowHash } from '../../supervisor/audit/chain.ts';
import { verifyHub } from '../../supervisor/hub/verify.ts';
import { type SeenTree, verifyReceipt } from '../../supervisor/hub-protocol/receipt.ts';
import { parseVerifierKey } from '../../supervisor/tlog/note.ts';
import { TestDevice } from '../support/hub/device.ts';
import { type StoreKind, startTestHub, storeKinds, type TestHub } from '../support/hub/hub.ts';
import type { HubClient } from '../support/hub/hub-client.ts';
import { tempDir } from '../support/temp-dir.ts';

type ErrorBody = { error: { name: string; message: string; seq?: number; expectedSeq?: number } };

/** Send rows in batches of `size`, checking every receipt like the device will; returns the last tree. */
async function sync(
  hub: TestHub,
  client: HubClient,
  rows: HubRecord[],
  size: number,
  previous: SeenTree | null,
) {
  const verifier = parseVerifierKey(hub.service.verifierKey);
  let tree = previous;
  for (let i = 0; i < rows.length; i += size) {
    const part = rows.slice(i, i + size);
    const reply = await client.batch(part);
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const body = reply.body as HubBatchResponse;
    const last = part.at(-1)!;
    assert.deepEqual(body.acknowledged, { seq: last.seq, hash: last.hash });
    tree = verifyReceipt(body.receipt, {
      verifier,
      origin: hub.service.log.origin,
      device: client.keyid,
      seq: last.seq,
      hash: last.hash,
      previous: tree,
    });
    client.treeSize = tree.size;
  }
  return tree;
}

/** The same records rewritten from `from` on, hashes and links recomputed (what a same-user attacker can do). */
function rewrite(rows: HubRecord[], from: number): HubRecord[] {
  const out: HubRecord[] = [];
  let prev = rows.find((r) => r.seq === from)!.prev_hash;
  for (const r of rows.filter((x) => x.seq >= from)) {
    const changed = { ...r, host: r.seq === from ? 'exfil.example.net' : r.host, prev_hash: prev };
    const hash = rowHash(changed);
    out.push({ ...changed, hash });
    prev = hash;
  }
  return out;
}

async function editStoredRow(hub: TestHub, kind: StoreKind, device: string, seq: number): Promise<void> {
  if (kind === 'sqlite') {
    const db = new Database(`${hub.home}/hub.db`);
    db.prepare(
      "UPDATE records SET outcome = 'allowed', host = 'edited.example' WHERE device = ? AND seq = ?",
    ).run(device, seq);
    db.close();
  } else {
    const c = new pg.Client({ connectionString: hub.db });
    await c.connect();
    await c.query("UPDATE records SET host = 'edited.example' WHERE device = $1 AND seq = $2", [device, seq]);
    await c.end();
  }
}

for (const kind of storeKinds()) {
  test(`${kind}: a device syncs 2,500 records in batches, each receipt checks, resends are no-ops`, async (t) => {
    const hub = await startTestHub(t, kind);
    const device = new TestDevice(tempDir(t));
    t.after(() => device.close());
    device.append(2500);
    const client = await hub.enroll(device);
    const rows = device.rows(0, 5000);
    assert.equal(rows.length, 2500);
    const tree = await sync(hub, client, rows, 1000, null);
    assert.equal(tree?.size, 3);

    // The dropped-reply case: the same batch again is trimmed whole and proven by its old leaf.
    const again = await client.batch(rows.slice(2000));
    assert.equal(again.status, 200);
    const body = again.body as HubBatchResponse;
    assert.equal(body.stored, 0);
    assert.equal(body.duplicates, 500);
    assert.equal(body.receipt.leafIndex, 2);
    // An overlapping batch: the old part trimmed, the new part stored.
    device.append(100);
    const more = device.rows(2400, 1000);
    const overlap = await client.batch(more);
    assert.equal(overlap.status, 200);
    assert.deepEqual(
      [(overlap.body as HubBatchResponse).stored, (overlap.body as HubBatchResponse).duplicates],
      [100, 100],
    );

    const seqs = [1, 999, 2600];
    const heads = await client.raw<HubHeadsResponse>({
      method: 'GET',
      path: `${HUB_PATHS.heads}?seqs=${seqs.join(',')}`,
    });
    assert.equal(heads.status, 200);
    const local = new Map(device.rows(0, 5000).map((r) => [r.seq, r.hash]));
    assert.deepEqual(
      heads.body.heads,
      seqs.map((seq) => ({ seq, hash: local.get(seq) })),
    );
    const report = await verifyHub(hub.service.store, hub.service.log);
    assert.deepEqual(report.problems, []);
    assert.equal(report.records, 2600);
    assert.equal(report.leaves, 4);
  });

  test(`${kind}: a gap names the expected seq; a rewrite of synced records is a fork, quarantined`, async (t) => {
    const hub = await startTestHub(t, kind);
    const device = new TestDevice(tempDir(t));
    t.after(() => device.close());
    device.append(600);
    const client = await hub.enroll(device);
    const rows = device.rows(0, 1000);
    await sync(hub, client, rows.slice(0, 500), 500, null);

    const gap = await client.batch(rows.slice(550));
    assert.equal(gap.status, 409);
    assert.equal((gap.body as ErrorBody).error.name, 'ChainGap');
    assert.equal((gap.body as ErrorBody).error.expectedSeq, 501);

    const forged = rewrite(rows, 420);
    const fork = await client.batch(forged);
    assert.equal(fork.status, 409);
    assert.equal((fork.body as ErrorBody).error.name, 'ChainFork');
    assert.equal((fork.body as ErrorBody).error.seq, 420);
    const quarantined = await hub.service.store.quarantined(device.id);
    assert.deepEqual(
      quarantined.map((r) => r.seq),
      forged.map((r) => r.seq),
    );
    assert.equal(quarantined[0]!.host, 'exfil.example.net');
    const alerts = await hub.service.store.alerts(device.id);
    assert.deepEqual(
      alerts.map((a) => [a.kind, a.seq]),
      [
        ['gap', 501],
        ['fork', 420],
      ],
    );
    // Nothing of the refused batches was stored: the hub still holds the honest 500.
    assert.deepEqual((await hub.service.store.device(device.id))?.head, { seq: 500, hash: rows[499]!.hash });
    assert.ok((await verifyHub(hub.service.store, hub.service.log)).ok);
  });

  test(`${kind}: a revoked device gets 401 DeviceRevoked; the hub's verify names an edited row`, async (t) => {
    const hub = await startTestHub(t, kind);
    const device = new TestDevice(tempDir(t));
    t.after(() => device.close());
    device.append(300);
    const client = await hub.enroll(device);
    await sync(hub, client, device.rows(0, 300), 300, null);

    await editStoredRow(hub, kind, device.id, 42);
    const report = await verifyHub(hub.service.store, hub.service.log);
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems, [
      { device: device.id, seq: 42, problem: 'record 42 does not match its hash: the row was edited' },
    ]);

    assert.ok(await hub.service.store.revoke(device.id, Date.now()));
    device.append(10);
    const refused = await client.batch(device.rows(300, 10));
    assert.equal(refused.status, 401);
    assert.equal((refused.body as ErrorBody).error.name, 'DeviceRevoked');
    const beat = await client.heartbeat(device.head(), 10);
    assert.equal((beat.body as ErrorBody).error.name, 'DeviceRevoked');
  });
}
