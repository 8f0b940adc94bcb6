// The desktop app's Status view shows the team hub link, and the nav a badge when it fails:
// a real daemon enrolled with the contract test hub, in Debian's Chromium.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { append, FAST_SYNC, status, synced, waitFor } from '../support/sync.ts';
import { TestHub } from '../support/test-hub.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const skip = skipReason();
let browser: Browser;
let d: UiDaemon;
let hub: TestHub;

before(async () => {
  if (skip) return;
  hub = await new TestHub().listen();
  d = await startUiDaemon({ daemon: { sync: FAST_SYNC } });
  browser = await launchChromium();
});
after(async () => {
  if (skip) return;
  await browser.close();
  await d.stop();
  await hub.close();
});

test('Status shows the team hub link; a revoked device gets a badge', { skip: skip ?? false }, async () => {
  const { page, errors } = await openUi(browser, d.openUrl);
  await page.keyboard.press('7');
  await page.getByRole('heading', { name: 'Team hub' }).waitFor();
  assert.match((await page.locator('[aria-labelledby="sync-title"]').textContent()) ?? '', /Not enrolled/);
  await d.client.call('POST /v1/sync/enroll', { body: { enrollment: hub.enrollment() } });
  await append(d, 30);
  await synced(d);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.locator('[data-sync-state="ok"]').waitFor();
  assert.equal(await page.locator('nav .badge').count(), 0);
  hub.device().revoked = true;
  await append(d, 3);
  await waitFor(
    'revoked',
    () => status(d),
    (s) => s.state === 'revoked',
  );
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.locator('[data-sync-state="revoked"]').waitFor();
  await page.locator('nav .badge', { hasText: '!' }).waitFor();
  assert.match((await page.locator('[aria-labelledby="sync-title"]').textContent()) ?? '', /revoked/);
  await screenshot(page, 'status-sync-revoked');
  // The meta CSP's frame-ancestors notice is Chromium's, as in ui.test.ts.
  assert.deepEqual(
    errors.filter((e) => !/frame-ancestors' is ignored/.test(e)),
    [],
  );
});
