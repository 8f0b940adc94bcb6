// IT's answers from the attacker's side: a hub whose database was tampered with (or anyone
// between it and the device) hands a real enrolled daemon answers that are not what the hub
// signed. A note signed by another key, the hub's signature for another approval, for another
// device, a decision altered after signing, and a note that is not one: each is refused, the
// request stays held and then times out denied, and the log line, the refusal's reason and its
// audit record name why without the note, its signature or any key. The control: the hub's own signature, written
// the same way, releases its request.

import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { itAnswerText } from '../../supervisor/api/hub-approvals.ts';
import { noteSigner, signNote } from '../../supervisor/tlog/note.ts';
import { curl } from '../support/curl.ts';
import { heldForIt, hubDb, itFleet } from '../support/hub/it-approvals.ts';
import { waitFor } from '../support/sync.ts';

test('answers not signed by the enrolled hub for this device and approval are refused; the request stays held', async (t) => {
  const f = await itFleet(t, 'sqlite', { timeoutSeconds: 5 });
  try {
    const db = hubDb(f);
    const hubKey = f.hub.service.log.signer;
    const forger = noteSigner(hubKey.name, generateKeyPairSync('ed25519').privateKey);
    const by = 'it-admin';
    const at = Date.now();
    const text = (id: string, decision: 'allow' | 'deny', device = f.deviceId) =>
      itAnswerText({ id, decision, by, at }, device);
    const forgeries: Array<{ name: string; note: (id: string) => string; refusal: RegExp }> = [
      {
        name: 'a note signed by another key under the hub key name',
        note: (id) => signNote(text(id, 'allow'), [forger]),
        refusal: /not signed by the enrolled hub key \(the note carries no signature by a known key\)/,
      },
      {
        name: "the hub's signature for another approval id",
        note: () => signNote(text(randomUUID(), 'allow'), [hubKey]),
        refusal: /the hub signed it for another approval/,
      },
      {
        name: "the hub's signature for another device",
        note: (id) => signNote(text(id, 'allow', randomUUID()), [hubKey]),
        refusal: /the hub signed it for another device/,
      },
      {
        name: 'a decision altered after signing',
        note: (id) => signNote(text(id, 'deny'), [hubKey]),
        refusal: /its decision was altered after the hub signed it \(signed deny, sent allow\)/,
      },
      {
        name: 'a note that is not one',
        note: (id) => `${text(id, 'allow')}\n— ${hubKey.name} AAAA%%%%\n`,
        refusal: /not signed by the enrolled hub key \(malformed note/,
      },
    ];
    const base = `http://evil.test:${f.up.httpPort}`;
    const started = Date.now();
    const requests = forgeries.map((_, i) =>
      curl(f.sandbox.env, ['--max-time', '30', `${base}/forged-${i}`]),
    );
    // The control: the same path into the hub's database with the hub's own signature releases.
    const control = curl(f.sandbox.env, ['--max-time', '30', `${base}/genuine`]);
    const genuine = await heldForIt(f, '/genuine');
    const held = await Promise.all(forgeries.map((_, i) => heldForIt(f, `/forged-${i}`)));
    await waitFor(
      'every card on the hub',
      () => db.all<{ id: string }>("SELECT id FROM hub_it_approvals WHERE state = 'pending'"),
      (rows) => [...held, genuine].every((h) => rows.some((r) => r.id === h.id)),
    );
    const notes = forgeries.map((forgery, i) => forgery.note(held[i]!.id));
    await db.run(
      "UPDATE hub_it_approvals SET state = 'answered', decision = 'allow', by_admin = ?, answered = ?, note = ?, delivered = 0 WHERE id = ?",
      [by, at, signNote(text(genuine.id, 'allow'), [hubKey]), genuine.id],
    );
    for (const [i, h] of held.entries()) {
      await db.run(
        "UPDATE hub_it_approvals SET state = 'answered', decision = 'allow', by_admin = ?, answered = ?, note = ?, delivered = 0 WHERE id = ?",
        [by, at, notes[i], h.id],
      );
    }
    await waitFor(
      'the forged answers to reach the device',
      () => db.all<{ delivered: number | string }>('SELECT delivered FROM hub_it_approvals'),
      (rows) => rows.length === held.length + 1 && rows.every((r) => Number(r.delivered) === 1),
    );
    const released = await control;
    assert.equal(released.status, 200, "the hub's own answer releases its request");
    const lines = await waitFor(
      'a refusal logged for each',
      async () => f.d.logs.filter((l) => l.includes("IT's answer to approval")),
      (found) => held.every((h) => found.some((l) => l.includes(h.id))),
    );
    for (const [i, h] of held.entries()) {
      const line = lines.find((l) => l.includes(h.id)) ?? '';
      assert.match(line, /is refused, the approval stays held/, forgeries[i]!.name);
      assert.match(line, forgeries[i]!.refusal, forgeries[i]!.name);
      const signature = notes[i]!.split('\n').at(-2)!.split(' ').at(-1)!;
      assert.ok(!line.includes(signature), `${forgeries[i]!.name}: no signature in the log`);
      assert.ok(!line.includes('it-approval-answer/v1'), `${forgeries[i]!.name}: no note text in the log`);
    }
    // Still held on the device, then denied at the timeout, the reason saying why.
    const pending = await f.d.client.call('GET /v1/approvals');
    for (const h of held)
      assert.ok(
        pending.some((a) => a.id === h.id),
        'still held after the forged answer',
      );
    const replies = await Promise.all(requests);
    assert.ok(Date.now() - started >= 4_500, 'the requests waited for the timeout');
    for (const [i, r] of replies.entries()) {
      assert.equal(r.status, 403, forgeries[i]!.name);
      assert.match(
        r.body,
        /IT did not answer on the team hub .* within 5 s; an answer the hub sent was refused/,
      );
      assert.match(r.body, forgeries[i]!.refusal, forgeries[i]!.name);
    }
    const expired = await f.d.client.call('GET /v1/approvals', { query: { state: 'expired' } });
    for (const h of held)
      assert.ok(
        expired.some((a) => a.id === h.id),
        'expired, not answered',
      );
    // The audit trail's decision on each request says why too (its record may land just
    // after the 403 went out).
    const decided = await waitFor(
      'a decision record for each forged request',
      () => f.d.client.call('GET /v1/audit', { query: { kind: 'request.decided' } }),
      (page) => held.every((_, i) => page.records.some((r) => JSON.stringify(r).includes(`/forged-${i}`))),
    );
    for (const [i] of held.entries()) {
      const record = decided.records.find((r) => JSON.stringify(r).includes(`/forged-${i}`));
      assert.match(JSON.stringify(record ?? {}), /an answer the hub sent was refused/, forgeries[i]!.name);
      assert.ok(!JSON.stringify(record).includes(notes[i]!.split('\n').at(-2)!.split(' ').at(-1)!));
    }
    assert.ok(!f.d.logs.join('\n').includes(formatSeed(f)), 'no key in the log');
  } finally {
    await f.stop();
  }
});

/** The hub signer's private seed as text, to make sure it never appears. */
function formatSeed(f: Awaited<ReturnType<typeof itFleet>>): string {
  return f.hub.service.log.signer.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
}
