// The admin API's device detail over a real fleet: receipts paged by seq, a spot-check the
// device answers on its next heartbeat (answered, then a mismatch naming the rewritten seq),
// the proof of a record built hub-side that the device's own checker accepts, the exports
// with their lag, the user / sandbox / severity filters, and admin sessions and the sign-in
// limit shared by two hub processes on one database.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubHeartbeatResponse } from '../../supervisor/api/hub.ts';
import { HUB_PATHS } from '../../supervisor/api/hub.ts';
import type {
  HubDeviceDetail,
  HubEventPage,
  HubExportView,
  HubReceiptView,
} from '../../supervisor/api/hub-admin.ts';
import { HUB_ADMIN_LIMITS, HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import { checkProof } from '../../supervisor/sync/proof.ts';
import { ADMIN_PASSWORD, AdminClient, seedFleet, startAdminHub } from '../support/hub/admin.ts';
import { storeKinds } from '../support/hub/hub.ts';

for (const kind of storeKinds()) {
  test(`${kind}: device detail, receipts, spot-checks, proofs, exports and filters`, async (t) => {
    const hub = await startAdminHub(t, kind);
    const fleet = await seedFleet(t, hub);
    const c = new AdminClient(hub.adminUrl);
    assert.equal((await c.signIn()).status, 200);
    const id = fleet.honest.id;
    const client = fleet.clients.get(id)!;

    const detail = (await c.call('GET', `${HUB_ADMIN_PATHS.device}?id=${id}`)).body as HubDeviceDetail;
    assert.equal(detail.device.id, id);
    assert.equal(detail.device.headSeq, 120);
    assert.equal(detail.startSeq, 1);
    // 120 records in batches of 500: one leaf; its first tree holds it.
    assert.equal(detail.receipts.length, 1);
    assert.equal(detail.receipts[0]!.seq, 120);
    assert.ok(detail.receipts[0]!.treeSize! > detail.receipts[0]!.leafIndex);
    assert.match(detail.receipts[0]!.checkpoint!, /^hub\.test\/warden\n/);
    assert.deepEqual(detail.spotChecks, []);

    // More leaves, then keyset paging of receipts by seq.
    fleet.honest.append(30);
    for (let from = 120; from < 150; from += 10) {
      const r = await client.batch(fleet.honest.rows(from, 10));
      assert.equal(r.status, 200);
    }
    const seen: number[] = [];
    let before: number | null = Number.MAX_SAFE_INTEGER;
    for (let i = 0; i < 10 && before !== null; i++) {
      const page = (await c.call('GET', `${HUB_ADMIN_PATHS.receipts}?device=${id}&before=${before}&limit=2`))
        .body as { receipts: HubReceiptView[]; next: number | null };
      seen.push(...page.receipts.map((r) => r.seq));
      before = page.next;
    }
    assert.deepEqual(seen, [150, 140, 130, 120]);

    // Spot-check: pending until the device's heartbeat carries it and the device answers.
    const asked = await c.call('POST', HUB_ADMIN_PATHS.spotCheck, { device: id, seqs: [77, 10, 150] });
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    assert.deepEqual(asked.body.seqs, [10, 77, 150]);
    const twice = await c.call('POST', HUB_ADMIN_PATHS.spotCheck, { device: id, seqs: [] });
    assert.equal(twice.status, 400);
    assert.match(twice.body.error.message, /pending/);
    const state = async () =>
      ((await c.call('GET', `${HUB_ADMIN_PATHS.device}?id=${id}`)).body as HubDeviceDetail).spotChecks;
    assert.equal((await state())[0]!.state, 'pending');
    const rows = fleet.honest.rows(0, 1000);
    const beat = (await client.heartbeat(fleet.honest.head(), 0)).body as HubHeartbeatResponse;
    assert.deepEqual(beat.challenge, { seqs: [10, 77, 150] });
    const honest = beat.challenge!.seqs.map((seq) => ({ seq, hash: rows[seq - 1]!.hash }));
    assert.equal((await client.json(HUB_PATHS.challenge, { answers: honest })).status, 200);
    const answered = (await state())[0]!;
    assert.equal(answered.state, 'answered');
    assert.ok(answered.resolved !== null);

    // The device rewrote seq 40 after syncing it: the answer names it.
    assert.equal(
      (await c.call('POST', HUB_ADMIN_PATHS.spotCheck, { device: id, seqs: [20, 40, 60] })).status,
      200,
    );
    const beat2 = (await client.heartbeat(fleet.honest.head(), 0)).body as HubHeartbeatResponse;
    const forged = beat2.challenge!.seqs.map((seq) => ({
      seq,
      hash: seq >= 40 ? 'a'.repeat(64) : rows[seq - 1]!.hash,
    }));
    await client.json(HUB_PATHS.challenge, { answers: forged });
    const [mismatch] = await state();
    assert.equal(mismatch!.state, 'mismatch');
    assert.equal(mismatch!.firstDivergent, 40);
    assert.deepEqual(
      (await state()).map((s) => s.state),
      ['mismatch', 'answered'],
    );

    // The proof of seq 125 (covered by the leaf at 130), checked as `warden audit check-proof` does.
    const proof = await c.call('GET', `${HUB_ADMIN_PATHS.proof}?device=${id}&seq=125`);
    assert.equal(proof.status, 200, JSON.stringify(proof.body));
    const checked = checkProof(JSON.parse(JSON.stringify(proof.body)), hub.service.verifierKey);
    assert.equal(checked.seq, 125);
    assert.equal(checked.headSeq, 130);
    assert.equal(proof.body.records.length, 6);
    // An edited record in the file no longer checks.
    const edited = structuredClone(proof.body);
    edited.records[0].host = 'elsewhere.example';
    assert.throws(() => checkProof(edited, hub.service.verifierKey), /does not hash/);
    assert.equal((await c.call('GET', `${HUB_ADMIN_PATHS.proof}?device=${id}&seq=151`)).status, 404);

    // Exports: a destination's lag is what the hub holds and it has not confirmed.
    await hub.service.store.addExportTarget({
      name: 'siem',
      kind: 'otlp',
      target: 'http://127.0.0.1:9/v1/logs',
      tokenFile: null,
      created: Date.now(),
    });
    const exportsList = (await c.call('GET', HUB_ADMIN_PATHS.exports)).body as HubExportView[];
    assert.equal(exportsList.length, 1);
    assert.equal(exportsList[0]!.name, 'siem');
    assert.equal(exportsList[0]!.lag, 150 + 30 + 3);
    assert.equal(exportsList[0]!.lastError, null);

    // Filters: sandbox (every third record), severity (denied requests are Low), user.
    const all = async (q: string) => {
      const out: HubEventPage['events'] = [];
      let cursor = '';
      for (let i = 0; i < 50; i++) {
        const page = (
          await c.call('GET', `${HUB_ADMIN_PATHS.events}?device=${id}&limit=13${q}&cursor=${cursor}`)
        ).body as HubEventPage;
        out.push(...page.events);
        if (!page.next) break;
        cursor = page.next;
      }
      return out;
    };
    const sb1 = await all('&sandbox=sb-1');
    assert.equal(sb1.length, 50);
    assert.ok(sb1.every((e) => e.sandboxId === 'sb-1'));
    const low = await all('&severity=Low');
    assert.equal(low.length, 30, 'one request in five is denied');
    assert.ok(low.every((e) => e.outcome === 'denied'));
    assert.equal((await all('&severity=High')).length, 0);
    assert.equal((await all('&user=alice')).length, 150);
    assert.equal((await all('&user=bob')).length, 0);
  });

  test(`${kind}: two hub processes on one database share sessions and the sign-in limit`, async (t) => {
    const a = await startAdminHub(t, kind);
    const b = await startAdminHub(t, kind, {
      home: a.home,
      db: kind === 'sqlite' ? `sqlite:${a.home}/hub.db` : a.db,
    });
    const atA = new AdminClient(a.adminUrl);
    assert.equal((await atA.signIn()).status, 200);
    const atB = new AdminClient(b.adminUrl);
    atB.cookie = atA.cookie;
    const session = await atB.call('GET', HUB_ADMIN_PATHS.session);
    assert.equal(session.status, 200, 'a session made on A is valid on B');
    assert.equal(session.body.csrf, atA.csrf);
    atB.csrf = atA.csrf;
    assert.equal((await atB.call('POST', HUB_ADMIN_PATHS.tokenCreate, { ttlHours: 1 })).status, 200);
    assert.equal((await atB.call('POST', HUB_ADMIN_PATHS.signOut, {})).status, 200);
    assert.equal((await atA.call('GET', HUB_ADMIN_PATHS.devices)).status, 401, 'signed out on B is out on A');
    // Only the token's hash is stored.
    const stored = await a.admin.adminStore.db.all<{ token_hash: string }>(
      'SELECT token_hash FROM hub_admin_sessions',
    );
    const raw = atA.cookie.split('=')[1]!;
    assert.ok(stored.every((r) => r.token_hash !== raw && !r.token_hash.includes(raw)));

    // Failures at A count at B.
    const guesser = new AdminClient(a.adminUrl);
    for (let i = 0; i < HUB_ADMIN_LIMITS.signInFailures; i++)
      assert.equal((await guesser.signIn('it-admin', `wrong-guess-${i}-xx`)).status, 401);
    const limited = await new AdminClient(b.adminUrl).signIn('it-admin', ADMIN_PASSWORD);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  });
}
