// The admin API over a real fleet: device badges (a forked device), events across devices
// filtered and paged by keyset cursor (every record once, in order), an alert acknowledged
// (its badge cleared), a token created, used by a device, and another expired.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  HubDeviceView,
  HubEventPage,
  HubEventView,
  HubTokenView,
} from '../../supervisor/api/hub-admin.ts';
import { HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import { AdminClient, seedFleet, startAdminHub, XSS_HOST } from '../support/hub/admin.ts';
import { TestDevice } from '../support/hub/device.ts';
import { storeKinds } from '../support/hub/hub.ts';
import { tempDir } from '../support/temp-dir.ts';

for (const kind of storeKinds()) {
  test(`${kind}: devices, events paging and filters, alerts and tokens`, async (t) => {
    const hub = await startAdminHub(t, kind);
    const fleet = await seedFleet(t, hub);
    const c = new AdminClient(hub.adminUrl);
    assert.equal((await c.signIn()).status, 200);

    const devices = (await c.call('GET', HUB_ADMIN_PATHS.devices)).body as HubDeviceView[];
    const byId = new Map(devices.map((d) => [d.id, d]));
    assert.deepEqual(byId.get(fleet.honest.id)!.badges, ['ok']);
    assert.deepEqual(byId.get(fleet.forked.id)!.badges, ['forked']);
    assert.equal(byId.get(fleet.honest.id)!.headSeq, 120);
    assert.equal(byId.get(fleet.honest.id)!.lagMs, 0);
    assert.ok(byId.get(fleet.honest.id)!.lastSeen! > Date.now() - 60_000);
    assert.equal(byId.get(fleet.forked.id)!.backlog, 7);
    assert.ok(byId.get(fleet.forked.id)!.lagMs! > 0, 'a backlog behind its newest held record is lag');
    assert.equal(byId.get(fleet.hostile.id)!.lastSeen, null);
    assert.match(byId.get(fleet.honest.id)!.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);

    // Every record once, newest first, over pages of 7 (120 + 30 + 3 = 153).
    const seen: HubEventView[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null && pages < 100) {
      const page = (
        await c.call('GET', `${HUB_ADMIN_PATHS.events}?limit=7${cursor ? `&cursor=${cursor}` : ''}`)
      ).body as HubEventPage;
      seen.push(...page.events);
      cursor = page.next;
      pages++;
    }
    assert.equal(seen.length, 153);
    assert.equal(pages, Math.ceil(153 / 7));
    assert.equal(new Set(seen.map((e) => `${e.device}.${e.seq}`)).size, 153);
    for (let i = 1; i < seen.length; i++) {
      const a = seen[i - 1]!;
      const b = seen[i]!;
      assert.ok(
        a.time > b.time ||
          (a.time === b.time && (a.device > b.device || (a.device === b.device && a.seq > b.seq))),
        `order at ${i}`,
      );
    }

    const q = (s: string) => c.call('GET', `${HUB_ADMIN_PATHS.events}?${s}`);
    const byDevice = (await q(`device=${fleet.forked.id}&limit=200`)).body as HubEventPage;
    assert.equal(byDevice.events.length, 30, 'the forged rewrite was not stored');
    const denied = (await q(`outcome=denied&device=${fleet.honest.id}&limit=200`)).body as HubEventPage;
    assert.equal(denied.events.length, 24);
    assert.ok(denied.events.every((e) => e.outcome === 'denied'));
    const host = (await q(`host=${encodeURIComponent(XSS_HOST)}`)).body as HubEventPage;
    assert.deepEqual(
      host.events.map((e) => [e.device, e.host]),
      [[fleet.hostile.id, XSS_HOST]],
    );
    const mid = seen[50]!.time;
    const range = (await q(`from=${mid}&to=${mid + 1}&limit=200`)).body as HubEventPage;
    assert.deepEqual(
      range.events.map((e) => `${e.device}.${e.seq}`).sort(),
      seen
        .filter((e) => e.time === mid)
        .map((e) => `${e.device}.${e.seq}`)
        .sort(),
    );
    assert.equal((await q('cursor=1;DROP TABLE records')).status, 400);
    assert.equal((await q('from=yesterday')).status, 400);

    const alerts = (await c.call('GET', HUB_ADMIN_PATHS.alerts)).body as Array<{
      id: number;
      kind: string;
      ack: unknown;
    }>;
    const fork = alerts.find((a) => a.kind === 'fork')!;
    assert.equal(fork.ack, null);
    assert.equal(
      (await c.call('POST', HUB_ADMIN_PATHS.ack, { id: fork.id, note: 'reimaged laptop-07' })).status,
      200,
    );
    assert.equal((await c.call('POST', HUB_ADMIN_PATHS.ack, { id: fork.id, note: 'again' })).status, 400);
    const after = (await c.call('GET', HUB_ADMIN_PATHS.alerts)).body as Array<{
      id: number;
      ack: { note: string };
    }>;
    assert.equal(after.find((a) => a.id === fork.id)!.ack.note, 'reimaged laptop-07');
    const again = (await c.call('GET', HUB_ADMIN_PATHS.devices)).body as HubDeviceView[];
    assert.deepEqual(again.find((d) => d.id === fleet.forked.id)!.badges, ['ok']);

    const made = await c.call('POST', HUB_ADMIN_PATHS.tokenCreate, { ttlHours: 2 });
    assert.equal(made.status, 200);
    const other = await c.call('POST', HUB_ADMIN_PATHS.tokenCreate, { ttlHours: 2 });
    const tokens = (await c.call('GET', HUB_ADMIN_PATHS.tokens)).body as HubTokenView[];
    assert.ok(tokens.some((tk) => tk.id === made.body.id && tk.spent === null));
    assert.ok(!JSON.stringify(tokens).includes(made.body.token), 'the list never shows a token');
    const newcomer = new TestDevice(tempDir(t), 'newcomer');
    t.after(() => newcomer.close());
    await hub.enroll(newcomer, { token: made.body.token });
    const used = (await c.call('GET', HUB_ADMIN_PATHS.tokens)).body as HubTokenView[];
    assert.equal(used.find((tk) => tk.id === made.body.id)!.device, newcomer.id);
    assert.equal(
      (await c.call('POST', HUB_ADMIN_PATHS.tokenExpire, { id: made.body.id })).status,
      404,
      'spent',
    );
    assert.equal((await c.call('POST', HUB_ADMIN_PATHS.tokenExpire, { id: other.body.id })).status, 200);
    assert.equal((await c.call('POST', HUB_ADMIN_PATHS.tokenExpire, { id: other.body.id })).status, 404);
    const actions = (await c.call('GET', HUB_ADMIN_PATHS.actions)).body as Array<{ action: string }>;
    assert.deepEqual(actions.map((a) => a.action).reverse(), [
      'admin.create',
      'sign-in',
      'alert.ack',
      'token.create',
      'token.create',
      'token.expire',
    ]);
    assert.deepEqual(await hub.admin.adminStore.verifyActions(), []);
  });
}
