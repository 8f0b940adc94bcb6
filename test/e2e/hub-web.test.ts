// The hub's web page in Debian's Chromium against a real hub with real enrolled devices:
// sign-in, the device list with a forked device, events filtered and paged, a record's JSON,
// a host made of markup shown as text, new records appearing live, an alert acknowledged and
// a token created. Screenshots go to test-artifacts/screenshots/hub-*.png.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { buildHubWeb } from '../../build/hub-web.mjs';
import {
  ADMIN_NAME,
  ADMIN_PASSWORD,
  seedFleet,
  startAdminHub,
  syncRows,
  XSS_HOST,
} from '../support/hub/admin.ts';
import { storeKinds } from '../support/hub/hub.ts';
import { tempDir } from '../support/temp-dir.ts';
import { CHROMIUM, launchChromium, screenshot } from './support.ts';

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;

for (const kind of skip ? ['sqlite' as const] : storeKinds()) {
  test(`${kind}: the hub page: sign-in, devices, events, alerts, tokens, live`, { skip }, async (t) => {
    const webRoot = await buildHubWeb({ outdir: tempDir(t, 'hub-web-'), minify: true });
    const hub = await startAdminHub(t, kind, { webRoot });
    const fleet = await seedFleet(t, hub);
    const browser = await launchChromium();
    t.after(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const shot = (name: string) => screenshot(page, `hub-${kind}-${name}`);

    await page.goto(`${hub.adminUrl}/admin`);
    await page.fill('input[name=name]', ADMIN_NAME);
    await page.fill('input[name=password]', 'not the password at all');
    await page.click('button[type=submit]');
    await page.locator('.error', { hasText: 'wrong name or password' }).waitFor({ timeout: 10_000 });
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.locator('table.devices tbody tr').nth(2).waitFor({ timeout: 10_000 });
    const cookies = await context.cookies();
    assert.equal(cookies.length, 1);
    assert.equal(cookies[0]!.httpOnly, true);
    assert.equal(cookies[0]!.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'a script cannot read the session');

    const forkedRow = page.locator(`tr[data-device="${fleet.forked.id}"]`);
    assert.equal(
      await forkedRow
        .locator('.badge')
        .allTextContents()
        .then((b) => b.join(',')),
      'forked',
    );
    assert.match((await forkedRow.textContent()) ?? '', /laptop-07/);
    assert.equal(await page.locator(`tr[data-device="${fleet.honest.id}"] .badge`).textContent(), 'ok');
    await shot('devices');
    // A reload keeps the session (the page asks for its CSRF token again).
    await page.reload();
    await page.locator('table.devices tbody tr').nth(2).waitFor({ timeout: 10_000 });

    // Events: the newest page, the record with markup in its host shown as text.
    await page.click('header nav button:has-text("events")');
    await page.locator('tr.event').nth(24).waitFor({ timeout: 10_000 });
    await page.fill('input[name=host]', XSS_HOST);
    await page.click('form.filters button[type=submit]');
    await page.locator('td.host', { hasText: XSS_HOST }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('tr.event').count(), 1);
    assert.equal(await page.locator('table img').count(), 0, 'the host was not parsed as HTML');
    assert.equal(await page.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
    await page.locator('tr.event').first().click();
    const json = JSON.parse((await page.locator('.record pre').textContent()) ?? '');
    assert.equal(json.host, XSS_HOST);
    await shot('event-json');

    // Filter by device and page through it with the keyset cursor (30 records, 25 a page).
    await page.fill('input[name=host]', '');
    await page.fill('input[name=device]', fleet.forked.id);
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('tr.event').length === 25, null, {
      timeout: 10_000,
    });
    const firstSeqs = await page.locator('tr.event td:nth-child(3)').allTextContents();
    assert.equal(firstSeqs[0], '30');
    await page.click('button:has-text("Older")');
    await page.waitForFunction(() => document.querySelectorAll('tr.event').length === 5, null, {
      timeout: 10_000,
    });
    assert.deepEqual(await page.locator('tr.event td:nth-child(3)').allTextContents(), [
      '5',
      '4',
      '3',
      '2',
      '1',
    ]);
    assert.equal(await page.locator('button:has-text("Older")').isDisabled(), true);
    await page.click('button:has-text("Newer")');
    await page.waitForFunction(() => document.querySelectorAll('tr.event').length === 25, null, {
      timeout: 10_000,
    });
    await shot('events-paged');

    // A time range (UTC, to the second): seqs 10 to 14 of the honest device.
    const honestEvents = (await hub.admin.adminStore.events({ device: fleet.honest.id, limit: 200 })).events;
    const at = (seq: number) =>
      new Date(honestEvents.find((e) => e.seq === seq)!.time).toISOString().slice(0, 19);
    await page.fill('input[name=device]', fleet.honest.id);
    await page.fill('input[name=from]', at(10));
    await page.fill('input[name=to]', at(15));
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('tr.event').length === 5, null, {
      timeout: 10_000,
    });
    assert.deepEqual(await page.locator('tr.event td:nth-child(3)').allTextContents(), [
      '14',
      '13',
      '12',
      '11',
      '10',
    ]);
    await page.fill('input[name=from]', '');
    await page.fill('input[name=to]', '');

    // Live: records synced while the page is open appear without a reload.
    await page.fill('input[name=device]', fleet.honest.id);
    await page.click('form.filters button[type=submit]');
    await page.locator('tr.event td:nth-child(3)', { hasText: /^120$/ }).first().waitFor({ timeout: 10_000 });
    fleet.honest.append(3);
    await syncRows(fleet.clients.get(fleet.honest.id)!, fleet.honest.rows(120, 100));
    const started = Date.now();
    await page.locator('tr.event td:nth-child(3)', { hasText: /^123$/ }).waitFor({ timeout: 10_000 });
    t.diagnostic(`a synced record appeared on the page after ${Date.now() - started} ms`);

    // Alerts: acknowledge the fork with a note; the device's badge clears.
    await page.click('header nav button:has-text("alerts")');
    const forkAlert = page.locator('table.alerts tr', { hasText: 'fork' }).first();
    await forkAlert.locator('input[name=note]').fill('laptop-07 reimaged; chain restarted');
    await forkAlert.locator('button:has-text("Acknowledge")').click();
    await page
      .locator('.acked', { hasText: `${ADMIN_NAME}: laptop-07 reimaged; chain restarted` })
      .waitFor({ timeout: 10_000 });
    await shot('alerts');
    await page.click('header nav button:has-text("devices")');
    await page
      .locator(`tr[data-device="${fleet.forked.id}"] .badge`, { hasText: /^ok$/ })
      .waitFor({ timeout: 10_000 });

    // Tokens: created, shown once, listed by its hash only.
    await page.click('header nav button:has-text("tokens")');
    await page.click('button:has-text("Create token")');
    const token = (await page.locator('.new-token code').textContent({ timeout: 10_000 })) ?? '';
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    const listed = await hub.admin.adminStore.tokens();
    await page.locator(`tr[data-token="${listed[0]!.id}"]`, { hasText: 'open' }).waitFor({ timeout: 10_000 });
    assert.ok(!((await page.locator('table').textContent()) ?? '').includes(token));
    await shot('tokens');

    // Revoke the device with markup in its records from the list; its next heartbeat is refused.
    await page.click('header nav button:has-text("devices")');
    await page.locator(`tr[data-device="${fleet.hostile.id}"] button:has-text("Revoke")`).click();
    await page
      .locator(`tr[data-device="${fleet.hostile.id}"] .badge`, { hasText: /^revoked$/ })
      .waitFor({ timeout: 10_000 });
    const beat = await fleet.clients.get(fleet.hostile.id)!.heartbeat(fleet.hostile.head());
    assert.equal(beat.status, 401);
    assert.equal((beat.body as { error: { name: string } }).error.name, 'DeviceRevoked');

    const actions = (await hub.admin.adminStore.actions()).map((a) => a.action).reverse();
    assert.deepEqual(actions, [
      'admin.create',
      'sign-in.failed',
      'sign-in',
      'alert.ack',
      'token.create',
      'device.revoke',
    ]);
    assert.deepEqual(errors, []);
  });
}
