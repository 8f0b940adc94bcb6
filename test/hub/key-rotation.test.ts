// Rotating a device's key end to end, on SQLite and PostgreSQL: IT asks on the admin API; a
// real daemon's sync link makes a new key at its next heartbeat and registers it; the old key
// is refused from then on; the daemon keeps syncing, also after a restart (the key file keeps
// the enrolled id). From the attacker's side: a rotation nobody asked for, a proof made by
// another key, a proof replayed for another key, and an old-key request after the rotation.

import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { HUB_PATHS, type HubHeartbeatResponse } from '../../supervisor/api/hub.ts';
import type { HubDeviceDetail } from '../../supervisor/api/hub-admin.ts';
import { HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import { formatEnrollment } from '../../supervisor/hub-protocol/enrollment.ts';
import { rotationMessage } from '../../supervisor/hub-protocol/rotation.ts';
import { loadDeviceKey } from '../../supervisor/sync/device-key.ts';
import { rawPublicKey } from '../../supervisor/tlog/note.ts';
import { AdminClient, seedFleet, startAdminHub } from '../support/hub/admin.ts';
import { storeKinds } from '../support/hub/hub.ts';
import { HubClient } from '../support/hub/hub-client.ts';
import { append, status, syncDaemon, synced, waitFor } from '../support/sync.ts';

const fingerprint = async (c: AdminClient, id: string) =>
  ((await c.call('GET', `${HUB_ADMIN_PATHS.device}?id=${id}`)).body as HubDeviceDetail).device;

for (const kind of storeKinds()) {
  test(`${kind}: a real daemon rotates its key when IT asks; the old key is refused`, async (t) => {
    const hub = await startAdminHub(t, kind);
    const d = await syncDaemon();
    let running = true;
    t.after(async () => {
      if (running) await d.stop();
    });
    // The listener that serves /admin also serves devices (as `warden hub` does): rotation needs both.
    const enrollment = formatEnrollment({
      url: hub.adminUrl,
      hubKey: hub.service.verifierKey,
      tlsPin: null,
      token: await hub.token(),
    });
    await d.client.call('POST /v1/sync/enroll', { body: { enrollment } });
    await append(d, 20);
    const id = (await synced(d)).deviceId!;
    const oldKey = await loadDeviceKey(d.daemon.paths.syncKeyFile);
    const c = new AdminClient(hub.adminUrl);
    await c.signIn();
    const before = await fingerprint(c, id);
    assert.equal(before.rotating, false);

    const asked = await c.call('POST', HUB_ADMIN_PATHS.rotate, { device: id });
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    assert.equal((await fingerprint(c, id)).rotating, true);
    const started = Date.now();
    const after = await waitFor(
      'the device to register its new key',
      () => fingerprint(c, id),
      (v) => !v.rotating,
    );
    t.diagnostic(`the daemon rotated its key ${Date.now() - started} ms after IT asked`);
    assert.notEqual(after.fingerprint, before.fingerprint);
    // The device saves the key once the hub's answer is in (a moment after the hub marked it done).
    const newKey = await waitFor(
      'the new key in the key file',
      () => loadDeviceKey(d.daemon.paths.syncKeyFile),
      (k) => !k.publicKey.equals(oldKey.publicKey),
    );
    assert.equal(newKey.deviceId, id, 'the device id stays the enrolled one');
    assert.notDeepEqual(newKey.publicKey, oldKey.publicKey);

    // The old key is refused; the daemon syncs on with the new one, also after a restart.
    const old = new HubClient(hub.adminUrl, id, oldKey.privateKey);
    const refused = await old.heartbeat(null, 0);
    assert.equal(refused.status, 401);
    assert.match(JSON.stringify(refused.body), /does not verify/);
    await append(d, 10);
    await synced(d);
    await d.daemon.stop();
    running = false;
    const again = await syncDaemon(d.home);
    t.after(() => again.stop());
    await append(again, 10);
    const s = await synced(again);
    assert.equal(s.state, 'ok');
    assert.equal(s.deviceId, id);
    assert.equal((await hub.service.store.device(id))!.head!.seq, s.headSeq);
    const actions = (await c.call('GET', HUB_ADMIN_PATHS.actions)).body as Array<{ action: string }>;
    assert.deepEqual(
      actions.map((a) => a.action).filter((a) => a.startsWith('device.rot')),
      ['device.rotated', 'device.rotate'],
    );
    assert.equal((await status(again)).lastError, null);
  });

  test(`${kind}: key rotation from the attacker's side`, async (t) => {
    const hub = await startAdminHub(t, kind);
    const fleet = await seedFleet(t, hub);
    const device = fleet.honest;
    const client = new HubClient(hub.adminUrl, device.id, device.privateKey);
    const fresh = () => {
      const { privateKey } = generateKeyPairSync('ed25519');
      return { privateKey, publicKey: rawPublicKey(privateKey).toString('base64') };
    };
    const proofBy = (k: ReturnType<typeof fresh>, forKey = k.publicKey, forId = device.id) =>
      sign(null, rotationMessage(forId, forKey), k.privateKey).toString('base64');

    // Nobody asked: refused, the key unchanged.
    const k1 = fresh();
    const unasked = await client.json(HUB_PATHS.rotate, { publicKey: k1.publicKey, proof: proofBy(k1) });
    assert.equal(unasked.status, 403);
    // A heartbeat carries no rotate flag while none is asked.
    const quiet = (await client.heartbeat(device.head(), 0)).body as HubHeartbeatResponse;
    assert.equal(quiet.rotate, undefined);

    const c = new AdminClient(hub.adminUrl);
    await c.signIn();
    assert.equal(
      (await c.call('POST', HUB_ADMIN_PATHS.rotate, { device: device.id }, { csrf: null })).status,
      403,
      'CSRF',
    );
    assert.equal((await c.call('POST', HUB_ADMIN_PATHS.rotate, { device: '0'.repeat(32) })).status, 404);
    assert.equal((await c.call('POST', HUB_ADMIN_PATHS.rotate, { device: device.id })).status, 200);
    const beat = (await client.heartbeat(device.head(), 0)).body as HubHeartbeatResponse;
    assert.equal(beat.rotate, true);

    // A proof made by another key, one made for another device, one for another key; an unsigned
    // request; a body with extra fields.
    const k2 = fresh();
    const other = fresh();
    for (const [body, want] of [
      [{ publicKey: k2.publicKey, proof: proofBy(other, k2.publicKey) }, 401],
      [{ publicKey: k2.publicKey, proof: proofBy(k2, k2.publicKey, fleet.forked.id) }, 401],
      [{ publicKey: k2.publicKey, proof: proofBy(k2, other.publicKey) }, 401],
      [{ publicKey: k2.publicKey, proof: proofBy(k2), extra: 1 }, 400],
      [{ publicKey: device.publicKey.toString('base64'), proof: proofBy(k2) }, 400],
    ] as const) {
      const r = await client.json(HUB_PATHS.rotate, body);
      assert.equal(r.status, want, JSON.stringify(r.body));
    }
    // Another enrolled device cannot rotate this one's key (it signs as itself).
    const intruder = new HubClient(hub.adminUrl, fleet.forked.id, fleet.forked.privateKey);
    assert.equal(
      (
        await intruder.json(HUB_PATHS.rotate, {
          publicKey: k2.publicKey,
          proof: proofBy(k2, k2.publicKey, fleet.forked.id),
        })
      ).status,
      403,
    );
    assert.equal((await hub.service.store.device(device.id))!.publicKey, device.publicKey.toString('base64'));

    // The real one; then the old key is refused and the same request cannot be replayed.
    const ok = await client.json(HUB_PATHS.rotate, { publicKey: k2.publicKey, proof: proofBy(k2) });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await client.heartbeat(device.head(), 0)).status, 401);
    const rotated = new HubClient(hub.adminUrl, device.id, k2.privateKey);
    const beat2 = await rotated.heartbeat(device.head(), 0);
    assert.equal(beat2.status, 200);
    assert.equal((beat2.body as HubHeartbeatResponse).rotate, undefined);
    const k3 = fresh();
    assert.equal(
      (await rotated.json(HUB_PATHS.rotate, { publicKey: k3.publicKey, proof: proofBy(k3) })).status,
      403,
    );
  });
}
