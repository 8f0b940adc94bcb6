// The device's sync link against the real hub server (supervisor/hub, from wt-hub) over HTTP
// on loopback, on SQLite and, with WARDEN_TEST_PG, PostgreSQL: real daemons with real audit
// stores on one side, the hub's own store, log and alerts on the other.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditStore, SyncLedger } from '../../supervisor/audit/index.ts';
import { userActionEvent } from '../../supervisor/events/index.ts';
import { verifyHub } from '../../supervisor/hub/verify.ts';
import { formatEnrollment } from '../../supervisor/hub-protocol/enrollment.ts';
import { compareWithHub } from '../../supervisor/sync/against-hub.ts';
import { loadDeviceKey } from '../../supervisor/sync/device-key.ts';
import type { TestDaemon } from '../support/daemon.ts';
import { startTestHub, storeKinds, type TestHub } from '../support/hub/hub.ts';
import { append, rewriteChain, status, syncDaemon, synced, waitFor } from '../support/sync.ts';

async function enrolled(hub: TestHub): Promise<TestDaemon> {
  const d = await syncDaemon();
  const enrollment = formatEnrollment({
    url: hub.url,
    hubKey: hub.service.verifierKey,
    tlsPin: null,
    token: await hub.token(),
  });
  await d.client.call('POST /v1/sync/enroll', { body: { enrollment } });
  return d;
}

async function alerts(hub: TestHub, kind: string) {
  return (await hub.service.store.alerts()).filter((a) => a.kind === kind);
}

for (const kind of storeKinds()) {
  test(`${kind}: a daemon's whole trail reaches the hub once, receipted; the hub's verify is clean`, async (t) => {
    const hub = await startTestHub(t, kind);
    const d = await enrolled(hub);
    t.after(() => d.stop());
    await append(d, 2500);
    const s = await synced(d);
    assert.equal(s.state, 'ok');
    assert.ok(s.receipts >= 3);
    const report = await verifyHub(hub.service.store, hub.service.log);
    assert.equal(report.ok, true, JSON.stringify(report).slice(0, 500));
    const ledger = SyncLedger.open(d.daemon.paths.auditDb, 2000, true);
    const link = ledger.link()!;
    const key = await loadDeviceKey(d.daemon.paths.syncKeyFile);
    const cmp = await compareWithHub(ledger, { url: link.hubUrl, tlsPin: null, key, timeoutMs: 5000 });
    ledger.close();
    assert.equal(cmp.ok, true, cmp.detail);
    assert.equal(cmp.hubAcknowledged, s.headSeq);
  });

  test(`${kind}: revoked on the hub, the device stops and says so`, async (t) => {
    const hub = await startTestHub(t, kind);
    const d = await enrolled(hub);
    t.after(() => d.stop());
    await append(d, 10);
    const s = await synced(d);
    await hub.service.store.revoke(s.deviceId!, Date.now());
    await append(d, 10);
    const after = await waitFor(
      'revoked',
      () => status(d),
      (v) => v.state === 'revoked',
    );
    assert.match(after.lastError ?? '', /revoked/);
  });

  test(`${kind}: synced records rewritten on the device: the device names the seq`, async (t) => {
    const hub = await startTestHub(t, kind);
    const d = await enrolled(hub);
    await append(d, 300);
    await synced(d);
    await d.daemon.stop();
    rewriteChain(d.daemon.paths.auditDb, 77);
    const again = await syncDaemon(d.home);
    t.after(() => again.stop());
    const s = await waitFor(
      'forked',
      () => status(again),
      (v) => v.state === 'forked',
    );
    assert.match(s.lastError ?? '', /different record at seq 77\b/);
  });

  test(`${kind}: a hub-side rollback alert when an older database comes back`, async (t) => {
    const hub = await startTestHub(t, kind);
    const d = await enrolled(hub);
    await append(d, 20);
    await synced(d);
    const { copyFileSync, rmSync } = await import('node:fs');
    await d.daemon.stop();
    const db = d.daemon.paths.auditDb;
    for (const f of ['', '.anchor']) copyFileSync(db + f, `${db}${f}.bak`);
    const second = await syncDaemon(d.home);
    await append(second, 20);
    await synced(second);
    await second.daemon.stop();
    for (const f of ['', '.anchor']) copyFileSync(`${db}${f}.bak`, db + f);
    for (const f of ['-wal', '-shm']) rmSync(db + f, { force: true });
    const third = await syncDaemon(d.home);
    t.after(() => third.stop());
    const s = await waitFor(
      'forked',
      () => status(third),
      (v) => v.state === 'forked',
    );
    assert.match(s.lastError ?? '', /rollback/);
    await waitFor(
      'the hub alert',
      () => alerts(hub, 'rollback'),
      (a) => a.length > 0,
    );
  });
}

for (const kind of storeKinds()) {
  test(`${kind}: challenged at every heartbeat, the device answers and stays ok`, async (t) => {
    const hub = await startTestHub(t, kind, { challengeRate: 1 });
    const d = await enrolled(hub);
    t.after(() => d.stop());
    await append(d, 50);
    await synced(d);
    const before = (await status(d)).lastSuccess;
    await waitFor(
      'a heartbeat after the sync',
      () => status(d),
      (s) => s.lastSuccess !== before,
      5000,
    );
    assert.equal((await status(d)).state, 'ok');
    assert.deepEqual(await alerts(hub, 'fork'), []);
  });

  test(`${kind}: records pruned at the size cap before the hub got them: the hub alerts a gap, sync goes on`, async (t) => {
    const hub = await startTestHub(t, kind);
    const d = await enrolled(hub);
    await append(d, 10);
    const s = await synced(d);
    await d.daemon.stop();
    const store = AuditStore.open(d.daemon.paths.auditDb, { durability: 'normal' });
    store.appendBatch(
      Array.from({ length: 3000 }, (_, i) => userActionEvent('tester', 'test.offline', `o-${i}`)),
    );
    const pruned = store.prune({ maxBytes: 256 * 1024 });
    store.close();
    const through = pruned.throughSeq ?? 0;
    assert.ok(through > s.headSeq!, 'the cap cut past the acknowledged seq');
    const again = await syncDaemon(d.home);
    t.after(() => again.stop());
    await append(again, 20);
    const after = await synced(again);
    assert.equal(after.state, 'ok');
    assert.match(
      after.lastError ?? '',
      new RegExp(`seq ${s.headSeq! + 1} were pruned at the store's size cap`),
    );
    // The 409's alert, then the device's acknowledgement naming its retention checkpoint.
    const gaps = await alerts(hub, 'gap');
    assert.equal(gaps.length, 2, JSON.stringify(gaps));
    assert.ok(gaps.every((g) => g.seq === s.headSeq! + 1));
    assert.match(gaps[0]!.message, /never arrived/);
    assert.match(
      gaps[1]!.message,
      new RegExp(`records ${s.headSeq! + 1}…${through} were pruned on the device`),
    );
    const device = await hub.service.store.device(after.deviceId!);
    assert.equal(device?.head?.seq, after.headSeq, 'the records after the gap and the checkpoint arrived');
    assert.equal((await hub.service.store.hashesAt(after.deviceId!, [through]))?.get(through), undefined);
    const report = await verifyHub(hub.service.store, hub.service.log);
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.records, s.headSeq! + (after.headSeq! - through));
  });
}
