// A request an organisation rule sends to IT, end to end: a real hub (SQLite and PostgreSQL)
// with its page in Chromium, a real enrolled daemon and curl through its proxy. The request
// waits on the device; the developer's answer is refused; IT sees the card (request line,
// sandbox, user, device) on the hub's Approvals page and allows it once: curl gets through,
// the device's history says the hub and the admin answered, and the hub's admin chain has it.
// A second request is denied on the page: curl gets the refusal naming the admin.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { buildHubWeb } from '../../build/hub-web.mjs';
import type { ApiClientError } from '../../supervisor/client/api-client.ts';
import { curl } from '../support/curl.ts';
import { ADMIN_NAME, ADMIN_PASSWORD } from '../support/hub/admin.ts';
import { storeKinds } from '../support/hub/hub.ts';
import { heldForIt, itFleet } from '../support/hub/it-approvals.ts';
import { tempDir } from '../support/temp-dir.ts';
import { CHROMIUM, launchChromium, screenshot } from './support.ts';

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;

for (const kind of skip ? ['sqlite' as const] : storeKinds()) {
  test(`${kind}: IT answers on the hub's page; the device waits, then is released or denied`, {
    skip,
  }, async (t) => {
    const webRoot = await buildHubWeb({ outdir: tempDir(t, 'hub-web-'), minify: true });
    const f = await itFleet(t, kind, { webRoot });
    try {
      const { env } = f.sandbox;
      const url = (p: string) => `http://evil.test:${f.up.httpPort}${p}`;

      const upload = curl(env, ['--max-time', '60', url('/upload')]);
      const approval = await heldForIt(f, '/upload');
      assert.equal(approval.approver, 'it');
      assert.match(approval.reason, /organisation policy .* asks IT on the team hub/);
      // The developer's desktop cannot answer it.
      await assert.rejects(
        f.d.client.call('POST /v1/approvals/:id', {
          params: { id: approval.id },
          body: { decision: 'allow', scope: 'once' },
        }),
        (e: ApiClientError) =>
          e.name === 'ApprovalForIt' &&
          /waiting for IT/.test(e.message) &&
          /IT administrator/.test(e.hint ?? ''),
      );

      const browser = await launchChromium();
      t.after(() => browser.close());
      const page = await (await browser.newContext({ viewport: { width: 1300, height: 900 } })).newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${f.hub.adminUrl}/admin`);
      await page.fill('input[name=name]', ADMIN_NAME);
      await page.fill('input[name=password]', ADMIN_PASSWORD);
      await page.click('button[type=submit]');
      await page.click('header nav button:has-text("approvals")');
      const card = page.locator(`article.approval.pending[data-approval="${approval.id}"]`);
      await card.waitFor({ timeout: 10_000 });
      const text = (await card.textContent()) ?? '';
      assert.match(text, new RegExp(`GET http://evil\\.test:${f.up.httpPort}/upload`));
      assert.ok(text.includes(f.sandbox.listener.sandboxId), 'the sandbox');
      assert.ok(text.includes(approval.user), 'the user');
      assert.ok(text.includes(f.deviceId.slice(0, 8)), 'the device');
      assert.match(text, /asks IT on the team hub/);
      await screenshot(page, `hub-${kind}-it-approval`);
      await card.locator('button:has-text("Allow once")').click();

      assert.equal((await upload).status, 200, 'released by IT');
      const history = await f.d.client.call('GET /v1/approvals', { query: { state: 'answered' } });
      const answered = history.find((a) => a.id === approval.id);
      assert.equal(answered?.answer?.client, 'hub');
      assert.equal(answered?.answer?.by, ADMIN_NAME);
      assert.equal(answered?.answer?.decision, 'allow');
      const record = await f.d.client.call('GET /v1/audit', { query: { kind: 'approval.answered' } });
      const onChain = record.records.find(
        (r) => (r.ocsf.unmapped as { approval_id?: string }).approval_id === approval.id,
      );
      assert.ok(onChain, 'the answer is on the device chain');
      assert.match(JSON.stringify(onChain), /"hub"/);
      const actions = await f.hub.admin.adminStore.actions();
      assert.ok(
        actions.some(
          (a) => a.action === 'approval.allow' && a.admin === ADMIN_NAME && a.detail.includes(approval.id),
        ),
      );
      assert.deepEqual(await f.hub.admin.adminStore.verifyActions(), [], 'the admin chain holds');
      await page
        .locator(`article.approval.answered[data-approval="${approval.id}"]`)
        .waitFor({ timeout: 10_000 });

      // Denied on the page: curl gets the refusal naming the admin.
      const secret = curl(env, ['--max-time', '60', url('/secret')]);
      const second = await heldForIt(f, '/secret');
      const card2 = page.locator(`article.approval.pending[data-approval="${second.id}"]`);
      await card2.waitFor({ timeout: 10_000 });
      await card2.locator('button:has-text("Deny")').click();
      const denied = await secret;
      assert.equal(denied.status, 403);
      assert.match(denied.body, new RegExp(`${ADMIN_NAME} denied it`));
      assert.deepEqual(errors, []);
    } finally {
      await f.stop();
    }
  });
}
