// IT's approvals from the attacker's side, against a real hub (SQLite and PostgreSQL): a
// device cannot answer its own approval (no device route answers; an answer smuggled into a
// card is refused), cannot claim another device's approval id nor read its answers; a forged
// or malformed approval id is refused; the admin answer needs the session, its CSRF token and
// the hub's Origin; an answer is given once, delivered once, and a replayed poll is refused.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { HUB_PATHS, HUB_SIGNATURE } from '../../supervisor/api/hub.ts';
import { HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import type { HubItAnswer, HubItCard } from '../../supervisor/api/hub-approvals.ts';
import { itAnswerText } from '../../supervisor/api/hub-approvals.ts';
import { openNote, parseVerifierKey } from '../../supervisor/tlog/note.ts';
import { AdminClient, startAdminHub } from '../support/hub/admin.ts';
import { TestDevice } from '../support/hub/device.ts';
import { storeKinds } from '../support/hub/hub.ts';
import { HubClient } from '../support/hub/hub-client.ts';
import { tempDir } from '../support/temp-dir.ts';

const card = (id = randomUUID()): HubItCard => ({
  id,
  sandboxId: 'sb-1',
  user: 'alice',
  method: 'POST',
  scheme: 'https',
  host: 'evil.test',
  port: 443,
  path: '/upload',
  reason: 'rule 1 of organisation policy asks IT on the team hub',
  createdAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
});

for (const kind of storeKinds()) {
  test(`${kind}: devices cannot answer, forge or read others' IT approvals; answers need a session`, async (t) => {
    const hub = await startAdminHub(t, kind);
    const dir = tempDir(t);
    const [a, b] = [new TestDevice(dir, 'a'), new TestDevice(dir, 'b')];
    t.after(() => {
      a.close();
      b.close();
    });
    await hub.enroll(a);
    await hub.enroll(b);
    const devA = new HubClient(hub.adminUrl, a.id, a.privateKey);
    const devB = new HubClient(hub.adminUrl, b.id, b.privateKey);
    const mine = card();
    assert.equal((await devA.json(HUB_PATHS.itApprovals, { cards: [mine], open: [mine.id] })).status, 200);

    // An answer smuggled into a card, or a card already "answered": refused by the schema.
    for (const extra of [{ answer: { decision: 'allow' } }, { state: 'answered' }, { decision: 'allow' }]) {
      const smuggled = await devA.json(HUB_PATHS.itApprovals, {
        cards: [{ ...card(), ...extra }],
        open: [],
      });
      assert.equal(smuggled.status, 400, JSON.stringify(extra));
    }
    // The admin answer route with a device's signature and no session: 401.
    const signed = await devA.json(HUB_ADMIN_PATHS.approvalAnswer, { id: mine.id, decision: 'allow' });
    assert.equal(signed.status, 403);
    const withOrigin = await devA.raw({
      method: 'POST',
      path: HUB_ADMIN_PATHS.approvalAnswer,
      body: Buffer.from(JSON.stringify({ id: mine.id, decision: 'allow' })),
      headers: { 'content-type': 'application/json', origin: hub.adminUrl },
    });
    assert.equal(withOrigin.status, 401, 'a device signature is no admin session');
    // There is no device route that answers.
    assert.equal((await devA.json(`${HUB_PATHS.itApprovals}/answer`, { id: mine.id })).status, 404);

    // Device B claims A's approval id: refused; B's poll never carries A's answers.
    const claimed = await devB.json(HUB_PATHS.itApprovals, {
      cards: [{ ...mine, user: 'mallory' }],
      open: [mine.id],
    });
    assert.equal(claimed.status, 403);
    assert.match(JSON.stringify(claimed.body), /belongs to another device/);

    // The admin answer: no cookie, no CSRF token, a foreign Origin: refused.
    const admin = new AdminClient(hub.adminUrl);
    assert.equal((await admin.signIn()).status, 200);
    const body = { id: mine.id, decision: 'allow' };
    assert.equal(
      (await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, body, { cookie: null })).status,
      401,
    );
    assert.equal(
      (await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, body, { csrf: null })).status,
      403,
    );
    assert.equal(
      (await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, body, { csrf: 'x'.repeat(43) })).status,
      403,
    );
    assert.equal(
      (await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, body, { origin: 'http://evil.example' }))
        .status,
      403,
    );
    // Forged and malformed ids.
    const forged = await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, {
      id: randomUUID(),
      decision: 'allow',
    });
    assert.equal(forged.status, 404);
    assert.equal(forged.body.error.name, 'ApprovalNotFound');
    const malformed = await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, {
      id: "x' OR 1=1 --",
      decision: 'allow',
    });
    assert.equal(malformed.status, 400);
    const pending = (await admin.call('GET', HUB_ADMIN_PATHS.approvals)).body as Array<{
      id: string;
      state: string;
    }>;
    assert.equal(pending.find((p) => p.id === mine.id)?.state, 'pending', 'nothing above answered it');

    // Answered once; a second answer (a replayed click) is refused.
    assert.equal(
      (await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, { ...body, decision: 'deny' })).status,
      200,
    );
    const again = await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, body);
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /already answered deny by it-admin/);

    // B's poll returns nothing of A's; A's poll returns the signed answer, once.
    const bPoll = await devB.json<{ answers: unknown[] }>(HUB_PATHS.itAnswers, { waitMs: 0 });
    assert.deepEqual(bPoll.body.answers, []);
    const aPoll = await devA.json<{
      answers: HubItAnswer[];
    }>(HUB_PATHS.itAnswers, { waitMs: 1000 });
    const [answer] = aPoll.body.answers;
    assert.equal(answer?.id, mine.id);
    assert.equal(answer?.decision, 'deny');
    const opened = openNote(answer!.note, [parseVerifierKey(hub.service.verifierKey)]);
    assert.equal(opened.text, itAnswerText(answer!, a.id), 'signed for device A and this approval');
    assert.notEqual(opened.text, itAnswerText(answer!, b.id), 'not valid for another device');
    const twice = await devA.json<{ answers: unknown[] }>(HUB_PATHS.itAnswers, { waitMs: 0 });
    assert.deepEqual(twice.body.answers, [], 'delivered once');

    // A replayed poll (same signature and nonce) is refused.
    const replayBody = Buffer.from(JSON.stringify({ waitMs: 0 }));
    const sign = { keyid: a.id, privateKey: a.privateKey, nonce: 'it-replay-nonce-000001' };
    const first = await devA.raw({
      method: 'POST',
      path: HUB_PATHS.itAnswers,
      body: replayBody,
      sign,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(first.status, 200);
    const replay = await devA.raw({
      method: 'POST',
      path: HUB_PATHS.itAnswers,
      body: replayBody,
      sign,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(replay.status, 401);
    assert.ok(HUB_SIGNATURE.headers.treeSize);
  });
}
