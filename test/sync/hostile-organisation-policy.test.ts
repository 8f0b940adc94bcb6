// A hub policy from the attacker's side, against a real hub and a real enrolled daemon: a
// policy signed by someone without the hub key, bytes that are not the signed ones, a huge
// policy, and a rollback to an older signed policy (also across a daemon restart) are all
// refused; the policy in force stays, the device says why, and the hub sees the old hash.

import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { HUB_POLICY_MAX_BYTES, HUB_POLICY_NOTE_HEADER } from '../../supervisor/api/hub.ts';
import { openAdminDb } from '../../supervisor/hub/admin-db.ts';
import { policyHash } from '../../supervisor/policy/index.ts';
import { type NoteSigner, noteSigner, signNote } from '../../supervisor/tlog/note.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { startTestHub, storeKinds } from '../support/hub/hub.ts';
import { deviceState, enforcing, enrolledDaemon, ORG, push } from '../support/organisation-policy.ts';
import { FAST_SYNC, waitFor } from '../support/sync.ts';
import { startUpstreams } from '../support/upstreams.ts';

function note(signer: NoteSigner, serial: number, hash: string): string {
  return signNote(`${HUB_POLICY_NOTE_HEADER}\nserial ${serial}\ngroup *\n${hash}\n`, [signer]);
}

function refusal(d: TestDaemon, serial: number, why: RegExp) {
  return waitFor(
    `the refusal of serial ${serial}`,
    () => d.client.call('GET /v1/status'),
    (s) => s.organisation?.warnings.some((w) => w.includes(`serial ${serial} `) && why.test(w)) ?? false,
  );
}

for (const kind of storeKinds()) {
  test(`${kind}: forged, altered, huge and rolled-back hub policies are refused; the one in force stays`, async (t) => {
    const up = await startUpstreams();
    t.after(() => up.close());
    const hub = await startTestHub(t, kind);
    const db = await openAdminDb(hub.db, hub.home);
    t.after(() => db.close());
    const insert = (serial: number, yaml: string, noteText: string) =>
      db.run('INSERT INTO hub_policies (serial, grp, hash, yaml, note, created) VALUES (?, ?, ?, ?, ?, ?)', [
        serial,
        '*',
        policyHash(yaml),
        yaml,
        noteText,
        Date.now(),
      ]);
    let d = await enrolledDaemon(hub, up);
    // Stopped before the hub's database is dropped (t.after runs in order: the hub's first).
    try {
      const first = ORG('evil.test');
      await push(hub, first);
      await enforcing(d, policyHash(first));

      // Signed by a key that is not the hub's (same name, so only the signature can tell).
      const impostor = noteSigner(hub.service.log.signer.name, generateKeyPairSync('ed25519').privateKey);
      const forged = ORG('nothing.test', ' forged');
      await insert(2, forged, note(impostor, 2, policyHash(forged)));
      await refusal(d, 2, /signature does not verify with the enrolled hub key/);
      const view = await waitFor(
        'the hub to flag the device',
        () => deviceState(hub.service, d),
        (v) => v.state === 'old',
      );
      assert.equal(view.reported, policyHash(first));

      // Signed by the hub, but the bytes served are not the signed ones.
      const altered = ORG('nothing.test', ' altered');
      await insert(3, altered, note(hub.service.log.signer, 3, policyHash(ORG('other.test'))));
      await refusal(d, 3, /its bytes do not have the signed hash/);

      // Huge: the hub refuses to store it, and a device refuses one served anyway.
      const huge = `${ORG('nothing.test', ' huge')}# ${'x'.repeat(HUB_POLICY_MAX_BYTES)}\n`;
      await assert.rejects(push(hub, huge), (e: Error) => e.name === 'BodyTooLarge');
      await insert(4, huge, note(hub.service.log.signer, 4, policyHash(huge)));
      await refusal(d, 4, /malformed policy document/);
      assert.equal(
        (await d.client.call('GET /v1/status')).organisation?.enforced?.origin.hash,
        policyHash(first),
      );

      // A newer genuine policy is taken; going back to an older signed one is a rollback.
      const fifth = ORG('leak.test', ' five');
      await insert(5, fifth, note(hub.service.log.signer, 5, policyHash(fifth)));
      await enforcing(d, policyHash(fifth));
      await db.run('DELETE FROM hub_policies WHERE serial >= 2');
      await refusal(d, 1, /not newer than the 5 already enforced \(a rollback\)/);
      assert.equal((await d.client.call('GET /v1/status')).organisation?.enforced?.origin.serial, 5);

      // Restarted, the device enforces what it kept, and still refuses the rollback.
      const home = d.home;
      await d.daemon.stop();
      d = await startTestDaemon({ home, upstreamCa: [up.caPem], daemon: { poolSize: 0, sync: FAST_SYNC } });
      const restarted = await d.client.call('GET /v1/status');
      assert.equal(restarted.organisation?.enforced?.origin.hash, policyHash(fifth));
      await refusal(d, 1, /a rollback/);
    } finally {
      await d.stop();
    }
  });
}
