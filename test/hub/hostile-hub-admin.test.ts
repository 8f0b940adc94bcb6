// The hub's admin API from the attacker's side: no session cookie (401), a POST from another
// origin or with no Origin (403), a missing or wrong CSRF token (403), sign-in brute force
// (429 + Retry-After, even for the right password, per name and per address), and a session
// cookie a script cannot read or a cross-site request carry. Each refusal changes nothing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HUB_ADMIN_LIMITS, HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import { ADMIN_PASSWORD, AdminClient, seedFleet, startAdminHub } from '../support/hub/admin.ts';
import { storeKinds } from '../support/hub/hub.ts';

for (const kind of storeKinds()) {
  test(`${kind}: the admin API refuses no cookie, other origins and a missing CSRF token`, async (t) => {
    const hub = await startAdminHub(t, kind);
    const fleet = await seedFleet(t, hub);
    const victim = fleet.honest.id;
    const anon = new AdminClient(hub.adminUrl);
    for (const path of [
      HUB_ADMIN_PATHS.devices,
      HUB_ADMIN_PATHS.events,
      HUB_ADMIN_PATHS.alerts,
      HUB_ADMIN_PATHS.tokens,
    ]) {
      const r = await anon.call('GET', path);
      assert.equal(r.status, 401, path);
      assert.equal(r.body.error.name, 'Unauthorized');
    }
    assert.equal((await anon.call('POST', HUB_ADMIN_PATHS.revoke, { device: victim })).status, 401);
    const forged = new AdminClient(hub.adminUrl);
    forged.cookie = 'warden_hub_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    assert.equal((await forged.call('GET', HUB_ADMIN_PATHS.devices)).status, 401);

    const admin = new AdminClient(hub.adminUrl);
    const signed = await admin.signIn();
    assert.equal(signed.status, 200);
    const setCookie = signed.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.match(setCookie, /Path=\/admin/);

    const cross = await admin.call(
      'POST',
      HUB_ADMIN_PATHS.revoke,
      { device: victim },
      { origin: 'http://evil.example' },
    );
    assert.equal(cross.status, 403);
    assert.match(cross.body.error.message, /cross-origin/);
    const noOrigin = await admin.call('POST', HUB_ADMIN_PATHS.revoke, { device: victim }, { origin: null });
    assert.equal(noOrigin.status, 403);
    const noCsrf = await admin.call('POST', HUB_ADMIN_PATHS.revoke, { device: victim }, { csrf: null });
    assert.equal(noCsrf.status, 403);
    assert.match(noCsrf.body.error.message, /x-warden-csrf/);
    const wrongCsrf = await admin.call(
      'POST',
      HUB_ADMIN_PATHS.revoke,
      { device: victim },
      { csrf: 'x'.repeat(32) },
    );
    assert.equal(wrongCsrf.status, 403);
    // A sign-in from another origin (login CSRF) is refused too.
    const crossSignIn = await new AdminClient(hub.adminUrl).call(
      'POST',
      HUB_ADMIN_PATHS.signIn,
      { name: 'it-admin', password: ADMIN_PASSWORD },
      { origin: 'http://evil.example' },
    );
    assert.equal(crossSignIn.status, 403);

    const devices = (await admin.call('GET', HUB_ADMIN_PATHS.devices)).body as Array<{
      id: string;
      revokedAt: null;
    }>;
    assert.equal(devices.find((d) => d.id === victim)!.revokedAt, null, 'no refused call revoked the device');
    const ok = await admin.call('POST', HUB_ADMIN_PATHS.revoke, { device: victim });
    assert.equal(ok.status, 200);
    const actions = (await admin.call('GET', HUB_ADMIN_PATHS.actions)).body as Array<{
      action: string;
      detail: string;
    }>;
    assert.deepEqual(
      actions.filter((a) => a.action === 'device.revoke').map((a) => a.detail),
      [victim],
    );

    const out = await admin.call('POST', HUB_ADMIN_PATHS.signOut, {});
    assert.equal(out.status, 200);
    assert.equal((await admin.call('GET', HUB_ADMIN_PATHS.devices)).status, 401, 'the session ended');
  });

  test(`${kind}: brute-force sign-in is rate-limited per name and per address`, async (t) => {
    const hub = await startAdminHub(t, kind);
    const c = new AdminClient(hub.adminUrl);
    for (let i = 0; i < HUB_ADMIN_LIMITS.signInFailures; i++) {
      const r = await c.signIn('it-admin', `guess-${i}-wrong-password`);
      assert.equal(r.status, 401);
      assert.equal(r.body.error.message, 'wrong name or password');
    }
    const limited = await c.signIn('it-admin', ADMIN_PASSWORD);
    assert.equal(limited.status, 429, 'even the right password waits');
    assert.equal(limited.body.error.name, 'RateLimited');
    const wait = Number(limited.headers.get('retry-after'));
    assert.ok(wait >= 1 && wait <= 60, `retry-after ${wait}`);
    // Another name from the same address is limited too (one attacker spraying names).
    assert.equal((await c.signIn('someone-else', 'whatever-password')).status, 429);
    // An unknown name is answered like a wrong password (no account enumeration).
    const fresh = await startAdminHub(t, kind);
    const unknown = await new AdminClient(fresh.adminUrl).signIn('nobody', 'whatever-password');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error.message, 'wrong name or password');
    const actions = await hub.admin.adminStore.actions();
    assert.equal(
      actions.filter((a) => a.action === 'sign-in.failed').length,
      HUB_ADMIN_LIMITS.signInFailures,
    );
  });

  test(`${kind}: the admin action chain names an edited row`, async (t) => {
    const hub = await startAdminHub(t, kind);
    const c = new AdminClient(hub.adminUrl);
    await c.signIn();
    await c.call('POST', HUB_ADMIN_PATHS.tokenCreate, { ttlHours: 1 });
    const store = hub.admin.adminStore;
    assert.deepEqual(await store.verifyActions(), []);
    const [latest] = await store.actions(1);
    await store.db.run("UPDATE hub_admin_actions SET admin = 'mallory' WHERE id = ?", [latest!.id]);
    assert.deepEqual(await store.verifyActions(), [latest!.id]);
  });
}
