// Retention on the real PostgreSQL cluster: month partitions past `--retain-months` are
// dropped after each device's checkpoint of them is recorded; the hub's verify then resumes
// each chain there, and the devices sync on. A partition whose records would leave a hole in
// a device's chain is kept, with the reason. SQLite refuses the option.

import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { HubRecord } from '../../supervisor/api/hub.ts';
import { GENESIS_HASH } from '../../supervisor/audit/chain.ts';
import { monthOf } from '../../supervisor/hub/pg-schema.ts';
import { verifyHub } from '../../supervisor/hub/verify.ts';
import { syntheticChain, TestDevice } from '../support/hub/device.ts';
import { startTestHub, storeKinds, type TestHub } from '../support/hub/hub.ts';
import { tempDir } from '../support/temp-dir.ts';

const DAY = 86_400_000;
const now = Date.now();
const monthsAgo = (n: number) => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - n, 10);
};

/** A chain whose consecutive parts carry the given event times. */
function chainAt(tag: string, parts: Array<[count: number, time: number]>): HubRecord[] {
  const out: HubRecord[] = [];
  for (const [count, time] of parts) {
    out.push(...syntheticChain(count, out.length + 1, out.at(-1)?.hash ?? GENESIS_HASH, tag, time));
  }
  return out;
}

async function sendAll(hub: TestHub, t: TestContext, rows: HubRecord[]) {
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  const client = await hub.enroll(device, { head: null });
  const reply = await client.batch(rows);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return { device, client };
}

async function partitions(hub: TestHub): Promise<string[]> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: hub.db });
  await c.connect();
  try {
    const r = await c.query(
      'SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid ' +
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'records' ORDER BY 1",
    );
    return (r.rows as Array<{ name: string }>).map((x) => x.name);
  } finally {
    await c.end();
  }
}

const pgOnly = storeKinds().includes('postgres');

test('postgres: month partitions past retention are dropped after each device is checkpointed', {
  skip: !pgOnly && 'needs WARDEN_TEST_PG',
}, async (t) => {
  const hub = await startTestHub(t, 'postgres');
  const old14 = monthOf(monthsAgo(14)).name;
  const old13 = monthOf(monthsAgo(13)).name;
  const a = chainAt('a', [
    [30, monthsAgo(14)],
    [20, monthsAgo(13)],
    [10, now - DAY],
  ]);
  const b = chainAt('b', [[15, now - DAY]]);
  const { device: da, client: ca } = await sendAll(hub, t, a);
  const { device: db } = await sendAll(hub, t, b);
  assert.ok((await partitions(hub)).includes(old14));

  const report = await hub.service.store.retain(12, now);
  assert.deepEqual(
    report.dropped.map((d) => [d.partition, d.records, d.devices]),
    [
      [old14, 30, 1],
      [old13, 20, 1],
    ],
  );
  assert.deepEqual(report.kept, []);
  const left = await partitions(hub);
  assert.ok(!left.includes(old14) && !left.includes(old13), left.join(' '));
  assert.ok(left.includes('records_default'));

  const retained = await hub.service.store.retained(da.id);
  assert.deepEqual(
    retained.map((r) => [r.fromSeq, r.throughSeq, r.records, r.lastHash]),
    [
      [1, 30, 30, a[29]!.hash],
      [31, 50, 20, a[49]!.hash],
    ],
  );
  assert.deepEqual(await hub.service.store.retained(db.id), []);
  let v = await verifyHub(hub.service.store, hub.service.log);
  assert.deepEqual(v.problems, []);
  assert.equal(v.records, 10 + 15);

  // The device syncs on; a late record of a dropped month lands in the default partition.
  const more = syntheticChain(5, 61, a.at(-1)!.hash, 'a', monthsAgo(14) + 1000);
  const reply = await ca.batch(more);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.ok(!(await partitions(hub)).includes(old14), 'a dropped month is not made again');
  assert.equal((await hub.service.store.device(da.id))?.defaultPartition, true);
  v = await verifyHub(hub.service.store, hub.service.log);
  assert.deepEqual(v.problems, []);
  assert.equal(v.records, 10 + 15 + 5);
  // Run again: nothing more to drop.
  assert.deepEqual((await hub.service.store.retain(12, now)).dropped, []);
});

test('postgres: a partition that would leave a hole in a chain is kept, with the reason', {
  skip: !pgOnly && 'needs WARDEN_TEST_PG',
}, async (t) => {
  const hub = await startTestHub(t, 'postgres');
  const old = monthOf(monthsAgo(14)).name;
  // A wrong clock for a while: seqs 6…8 are recent, 9…12 old again.
  const c = chainAt('c', [
    [5, monthsAgo(14)],
    [3, now - DAY],
    [4, monthsAgo(14) + DAY],
  ]);
  await sendAll(hub, t, c);
  const report = await hub.service.store.retain(12, now);
  assert.deepEqual(report.dropped, []);
  assert.equal(report.kept.length, 1);
  assert.equal(report.kept[0]!.partition, old);
  assert.match(report.kept[0]!.why, /not contiguous/);
  assert.ok((await partitions(hub)).includes(old));
  const v = await verifyHub(hub.service.store, hub.service.log);
  assert.deepEqual(v.problems, []);
  assert.equal(v.records, 12);
});

test('sqlite: retention by partitions is refused with the reason', async (t) => {
  const hub = await startTestHub(t, 'sqlite');
  await assert.rejects(hub.service.store.retain(12, now), /needs the PostgreSQL store/);
});
