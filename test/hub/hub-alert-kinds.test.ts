// The alert kinds issue 16 lists beyond fork, gap, rollback, silence and clock skew (tested in
// ingest and heartbeat tests): a failed enrollment, a device that lags, and a row the hub's own
// verify finds edited. Each is raised once per hour per device and is listed on the admin API.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubAlertView } from '../../supervisor/api/hub-admin.ts';
import { HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import { alertVerifyProblems, sweepLag } from '../../supervisor/hub/sweeps.ts';
import { verifyHub } from '../../supervisor/hub/verify.ts';
import { AdminClient, seedFleet, startAdminHub } from '../support/hub/admin.ts';
import { TestDevice } from '../support/hub/device.ts';
import { storeKinds } from '../support/hub/hub.ts';
import { tempDir } from '../support/temp-dir.ts';

for (const kind of storeKinds()) {
  test(`${kind}: failed enrollment, lag and verify failure raise alerts once`, async (t) => {
    const hub = await startAdminHub(t, kind);
    const fleet = await seedFleet(t, hub);
    const stranger = new TestDevice(tempDir(t), 'stranger');
    t.after(() => stranger.close());
    for (let i = 0; i < 2; i++)
      await assert.rejects(hub.enroll(stranger, { token: 'A'.repeat(43), machine: 'rogue-box' }), /401/);

    // The forked device reported a backlog of 7 and its newest held record is from long ago.
    assert.deepEqual(await sweepLag(hub.service.store, Date.now(), 15 * 60_000), [fleet.forked.id]);
    assert.deepEqual(await sweepLag(hub.service.store, Date.now(), 15 * 60_000), [], 'once');
    assert.deepEqual(await sweepLag(hub.service.store, Date.now(), 1e13), [], 'not yet lagging');

    const edit = "UPDATE records SET host = 'edited.example' WHERE device = ? AND seq = 17";
    await hub.admin.adminStore.db.run(edit, [fleet.honest.id]);
    const report = await verifyHub(hub.service.store, hub.service.log);
    assert.equal(report.ok, false);
    assert.equal(await alertVerifyProblems(hub.service.store, report, Date.now()), 1);
    assert.equal(await alertVerifyProblems(hub.service.store, report, Date.now()), 0, 'once');

    const c = new AdminClient(hub.adminUrl);
    await c.signIn();
    const alerts = (await c.call('GET', HUB_ADMIN_PATHS.alerts)).body as HubAlertView[];
    const of = (k: string) => alerts.filter((a) => a.kind === k);
    assert.equal(of('enroll-failed').length, 1);
    assert.equal(of('enroll-failed')[0]!.device, stranger.id);
    assert.match(of('enroll-failed')[0]!.message, /rogue-box.*not one this hub issued/);
    assert.deepEqual(
      of('lag').map((a) => [a.device, a.seq]),
      [[fleet.forked.id, 30]],
    );
    assert.deepEqual(
      of('verify-failed').map((a) => [a.device, a.seq]),
      [[fleet.honest.id, 17]],
    );
  });
}
