// The device-detail, spot-check, proof, receipts and exports routes from the attacker's side:
// no session (401), a spot-check from another origin or without the CSRF token (403, nothing
// challenged), ids that are not a device or are another shape (400/404), and huge or odd
// filters and parameters (400 with the field named, never a 500, never a SQL error).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import { AdminClient, seedFleet, startAdminHub } from '../support/hub/admin.ts';
import { storeKinds } from '../support/hub/hub.ts';

for (const kind of storeKinds()) {
  test(`${kind}: detail routes refuse no session, other origins, odd ids and odd filters`, async (t) => {
    const hub = await startAdminHub(t, kind);
    const fleet = await seedFleet(t, hub);
    const id = fleet.honest.id;
    const anon = new AdminClient(hub.adminUrl);
    for (const path of [
      `${HUB_ADMIN_PATHS.device}?id=${id}`,
      `${HUB_ADMIN_PATHS.receipts}?device=${id}`,
      `${HUB_ADMIN_PATHS.proof}?device=${id}&seq=1`,
      HUB_ADMIN_PATHS.exports,
    ]) {
      const r = await anon.call('GET', path);
      assert.equal(r.status, 401, path);
      assert.equal(JSON.stringify(r.body).includes('"records"'), false);
    }
    assert.equal((await anon.call('POST', HUB_ADMIN_PATHS.spotCheck, { device: id, seqs: [] })).status, 401);

    const c = new AdminClient(hub.adminUrl);
    await c.signIn();
    const spot = { device: id, seqs: [5] };
    const cross = await c.call('POST', HUB_ADMIN_PATHS.spotCheck, spot, { origin: 'http://evil.example' });
    assert.equal(cross.status, 403);
    assert.equal((await c.call('POST', HUB_ADMIN_PATHS.spotCheck, spot, { csrf: null })).status, 403);
    assert.equal((await hub.service.store.device(id))!.challenge, null, 'no refused call set a challenge');

    // Ids: malformed, unknown, SQL-ish; a revoked device cannot be spot-checked.
    for (const [path, status] of [
      [`${HUB_ADMIN_PATHS.device}?id=`, 400],
      [`${HUB_ADMIN_PATHS.device}?id=${'0'.repeat(32)}`, 404],
      [`${HUB_ADMIN_PATHS.device}?id=${encodeURIComponent("' OR 1=1 --")}`, 400],
      [`${HUB_ADMIN_PATHS.device}?id=${'a'.repeat(6000)}`, 400],
      [`${HUB_ADMIN_PATHS.proof}?device=${id}&seq=0`, 400],
      [`${HUB_ADMIN_PATHS.proof}?device=${id}&seq=-4`, 400],
      [`${HUB_ADMIN_PATHS.proof}?device=${id}&seq=1e9`, 400],
      [`${HUB_ADMIN_PATHS.proof}?device=${id}&seq=99999999999999999`, 400],
      [`${HUB_ADMIN_PATHS.proof}?device=${id}`, 400],
      [`${HUB_ADMIN_PATHS.proof}?device=${'f'.repeat(32)}&seq=1`, 404],
      [`${HUB_ADMIN_PATHS.receipts}?device=${id}&before=x`, 400],
      [`${HUB_ADMIN_PATHS.receipts}?device=${id}&limit=1000000000`, 200],
    ] as const) {
      const r = await c.call('GET', path);
      assert.equal(r.status, status, `${path.slice(0, 120)}: ${JSON.stringify(r.body).slice(0, 200)}`);
      if (status !== 200) assert.ok(r.body.error.message.length < 300);
    }
    for (const body of [
      { device: id, seqs: [0] },
      { device: id, seqs: [121] },
      { device: id, seqs: Array.from({ length: 65 }, (_, i) => i + 1) },
      { device: id, seqs: ['1'] },
      { device: id, seqs: [1.5] },
      { device: id, seqs: [], extra: true },
      { device: '../../etc/passwd', seqs: [] },
      { device: '0'.repeat(32), seqs: [] },
    ]) {
      const r = await c.call('POST', HUB_ADMIN_PATHS.spotCheck, body);
      assert.ok([400, 404].includes(r.status), `${JSON.stringify(body).slice(0, 80)} → ${r.status}`);
    }
    assert.equal((await hub.service.store.device(id))!.challenge, null);
    await hub.service.store.revoke(fleet.hostile.id, Date.now());
    const revoked = await c.call('POST', HUB_ADMIN_PATHS.spotCheck, { device: fleet.hostile.id, seqs: [] });
    assert.equal(revoked.status, 400);
    assert.match(revoked.body.error.message, /revoked/);

    // Filters: too long, not a number, an unknown severity, a forged cursor; SQL text is data.
    for (const q of [
      `kind=${'k'.repeat(1025)}`,
      'limit=abc',
      'from=1e3',
      'to=99999999999999999',
      'severity=Catastrophic',
      'severity=low',
      'cursor=1.2',
      `cursor=${encodeURIComponent("1.x' OR '1'='1.3")}`,
    ]) {
      const r = await c.call('GET', `${HUB_ADMIN_PATHS.events}?${q}`);
      assert.equal(r.status, 400, `${q.slice(0, 60)}: ${JSON.stringify(r.body).slice(0, 200)}`);
    }
    for (const q of [
      `user=${encodeURIComponent("alice' OR '1'='1")}`,
      `sandbox=${encodeURIComponent('sb-1; DROP TABLE records')}`,
      `host=${encodeURIComponent('%')}`,
      'limit=-5',
      'limit=100000',
      `from=${Date.now() + 1e12}`,
    ]) {
      const r = await c.call('GET', `${HUB_ADMIN_PATHS.events}?${q}`);
      assert.equal(r.status, 200, q);
      assert.ok(r.body.events.length <= 200);
      if (!q.startsWith('limit')) assert.equal(r.body.events.length, 0, q);
    }
    const still = await c.call('GET', `${HUB_ADMIN_PATHS.events}?device=${id}&limit=200`);
    assert.equal(still.body.events.length, 120, 'the table is intact');
  });
}
