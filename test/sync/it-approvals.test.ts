// Approvals for IT without a browser, against a real hub (SQLite and PostgreSQL) and a real
// enrolled daemon: nobody answers, so the request is denied at the organisation's timeout
// with a reason naming the hub; the hub goes down while a request waits, so it is denied at
// its timeout saying the hub could not be reached; an MCP-free card reaches IT's inbox with
// the device's name, and a card withdrawn by its device (expired) cannot be answered.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import type { HubItApprovalView } from '../../supervisor/api/hub-approvals.ts';
import { curl } from '../support/curl.ts';
import { AdminClient } from '../support/hub/admin.ts';
import { storeKinds } from '../support/hub/hub.ts';
import { heldForIt, itFleet } from '../support/hub/it-approvals.ts';
import { waitFor } from '../support/sync.ts';

for (const kind of storeKinds()) {
  test(`${kind}: unanswered, IT's approval times out (denied) naming the hub; withdrawn on the hub`, async (t) => {
    const f = await itFleet(t, kind, { timeoutSeconds: 2 });
    try {
      const admin = new AdminClient(f.hub.adminUrl);
      assert.equal((await admin.signIn()).status, 200);
      const started = Date.now();
      const request = curl(f.sandbox.env, [`http://evil.test:${f.up.httpPort}/late`]);
      const held = await heldForIt(f, '/late');
      const inbox = await waitFor(
        'the card in IT inbox',
        async () => (await admin.call('GET', HUB_ADMIN_PATHS.approvals)).body as HubItApprovalView[],
        (list) => list.some((a) => a.id === held.id),
      );
      const card = inbox.find((a) => a.id === held.id)!;
      assert.equal(card.device, f.deviceId);
      assert.match(card.deviceName ?? '', /@/);
      assert.equal(card.host, 'evil.test');
      const r = await request;
      assert.equal(r.status, 403);
      assert.match(r.body, /IT did not answer on the team hub http:\/\/127\.0\.0\.1:\d+ within 2 s/);
      assert.ok(Date.now() - started >= 1900, 'it waited for the timeout');
      const expired = await f.d.client.call('GET /v1/approvals', { query: { state: 'expired' } });
      assert.ok(expired.some((a) => a.id === held.id));
      // The device tells the hub it no longer holds it: IT can no longer answer it.
      await waitFor(
        'the card to be withdrawn',
        async () =>
          (await admin.call('GET', `${HUB_ADMIN_PATHS.approvals}?state=all`)).body as HubItApprovalView[],
        (list) => list.find((a) => a.id === held.id)?.state === 'withdrawn',
      );
      const late = await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, {
        id: held.id,
        decision: 'allow',
      });
      assert.equal(late.status, 409);
      assert.match(late.body.error.message, /withdrawn by its device/);
    } finally {
      await f.stop();
    }
  });
}

test('the hub down: the request waits for its timeout and is denied, naming the unreachable hub', async (t) => {
  const f = await itFleet(t, 'sqlite', { timeoutSeconds: 3 });
  // The listener the device talks to goes away.
  await f.hub.adminServer.close();
  const r = await curl(f.sandbox.env, [`http://evil.test:${f.up.httpPort}/offline`]);
  assert.equal(r.status, 403);
  assert.match(
    r.body,
    /IT did not answer on the team hub http:\/\/127\.0\.0\.1:\d+ within 3 s; the team hub could not be reached/,
  );
});
