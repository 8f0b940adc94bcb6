// The hub page's device detail, exports and filters in Debian's Chromium against a real hub
// with a real enrolled daemon (its sync link answers the spot-check on its next heartbeat) and
// the seeded fleet (a device whose answer shows a rewritten record): receipts, spot-check
// pending → answered and → mismatch naming the seq, a record's proof downloaded and checked
// by `warden audit check-proof`, the daemon's key rotated from its row, the Exports view with a destination's lag and last error,
// and the sandbox + severity filters. Screenshots go to test-artifacts/screenshots/hub-*.png.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildHubWeb } from '../../build/hub-web.mjs';
import { HUB_PATHS, type HubHeartbeatResponse } from '../../supervisor/api/hub.ts';
import { auditCommand } from '../../supervisor/cli/audit-command.ts';
import { formatEnrollment } from '../../supervisor/hub-protocol/enrollment.ts';
import { checkProof } from '../../supervisor/sync/proof.ts';
import { ADMIN_NAME, ADMIN_PASSWORD, seedFleet, startAdminHub } from '../support/hub/admin.ts';
import { storeKinds } from '../support/hub/hub.ts';
import { append, syncDaemon, synced } from '../support/sync.ts';
import { tempDir } from '../support/temp-dir.ts';
import { CHROMIUM, launchChromium, screenshot } from './support.ts';

const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;

async function checkProofCli(file: string, hubKey: string): Promise<string> {
  let out = '';
  const cmd = auditCommand({ env: {}, out: (t) => (out += t) });
  cmd.exitOverride();
  await cmd.parseAsync(['check-proof', file, '--hub-key', hubKey], { from: 'user' });
  return out;
}

for (const kind of skip ? ['sqlite' as const] : storeKinds()) {
  test(`${kind}: the hub page: device detail, spot-checks, proofs, exports, filters`, { skip }, async (t) => {
    const webRoot = await buildHubWeb({ outdir: tempDir(t, 'hub-web-'), minify: true });
    const hub = await startAdminHub(t, kind, { webRoot });
    const fleet = await seedFleet(t, hub);
    const d = await syncDaemon();
    t.after(() => d.stop());
    // The listener serving /admin serves devices too (as `warden hub` does): key rotation needs both.
    const enrollment = formatEnrollment({
      url: hub.adminUrl,
      hubKey: hub.service.verifierKey,
      tlsPin: null,
      token: await hub.token(),
    });
    await d.client.call('POST /v1/sync/enroll', { body: { enrollment } });
    await append(d, 40);
    const daemonId = (await synced(d)).deviceId!;
    await hub.service.store.addExportTarget({
      name: 'collector',
      kind: 'otlp',
      target: 'http://127.0.0.1:9/v1/logs',
      tokenFile: null,
      created: Date.now(),
    });
    await hub.service.store.saveExportProgress('collector', {
      cursor: { [fleet.honest.id]: 100 },
      exported: 100,
      lastError: 'connect ECONNREFUSED 127.0.0.1:9',
      lastAttempt: Date.now(),
      lastSuccess: Date.now() - 60_000,
    });

    const browser = await launchChromium();
    t.after(() => browser.close());
    const context = await browser.newContext({
      viewport: { width: 1400, height: 900 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const shot = (name: string) => screenshot(page, `hub-${kind}-${name}`);
    await page.goto(`${hub.adminUrl}/admin`);
    await page.fill('input[name=name]', ADMIN_NAME);
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');

    // The daemon's detail from its row: receipts, records, then a spot-check its link answers.
    await page.locator(`tr[data-device="${daemonId}"] button.open-device`).click({ timeout: 10_000 });
    await page.locator(`.device-detail[data-device="${daemonId}"]`).waitFor({ timeout: 10_000 });
    await page.locator('.receipts tbody tr').first().waitFor({ timeout: 10_000 });
    await page.locator('tr.record-row').nth(19).waitFor({ timeout: 10_000 });
    await page.click('button:has-text("Spot-check now")');
    await page.locator('.spot-checks .badge', { hasText: /^pending$/ }).waitFor({ timeout: 10_000 });
    await shot('device-pending');
    const started = Date.now();
    await page.locator('.spot-checks .badge', { hasText: /^answered$/ }).waitFor({ timeout: 15_000 });
    t.diagnostic(`the daemon answered the spot-check ${Date.now() - started} ms after it was shown pending`);
    await shot('device-answered');

    // Download the proof of one record; the device's checker accepts it.
    const seq = Number(await page.locator('tr.record-row').nth(5).getAttribute('data-seq'));
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 10_000 }),
      page.locator(`tr.record-row[data-seq="${seq}"] button.download-proof`).click(),
    ]);
    const file = await download.path();
    assert.match(
      download.suggestedFilename(),
      new RegExp(`^warden-proof-${daemonId.slice(0, 8)}-${seq}\\.json$`),
    );
    const proof = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(checkProof(proof, hub.service.verifierKey).seq, seq);
    assert.match(await checkProofCli(file, hub.service.verifierKey), new RegExp(`\\b${seq}\\b`));

    // Rotate the daemon's key from its row: pending until its next heartbeat, then a new fingerprint.
    await page.click('button:has-text("← Devices")');
    const daemonRow = page.locator(`tr[data-device="${daemonId}"]`);
    const oldPrint = await daemonRow.locator('td.mono').textContent();
    await daemonRow.locator('button:has-text("Rotate key")').click();
    await daemonRow.locator('td.mono', { hasNotText: oldPrint ?? '' }).waitFor({ timeout: 15_000 });
    await daemonRow.locator('button:has-text("Rotate key")').waitFor({ timeout: 10_000 });
    await shot('devices-rotated');
    await append(d, 5);
    await synced(d);

    // A device that answers with a rewritten record: the check names the seq.
    await page.locator(`tr[data-device="${fleet.honest.id}"] button.open-device`).click();
    await page.locator(`.device-detail[data-device="${fleet.honest.id}"]`).waitFor({ timeout: 10_000 });
    await page.fill('input[name=seqs]', '20, 40, 60');
    await page.click('button:has-text("Spot-check now")');
    await page.locator('.spot-checks .badge', { hasText: /^pending$/ }).waitFor({ timeout: 10_000 });
    const client = fleet.clients.get(fleet.honest.id)!;
    const rows = fleet.honest.rows(0, 1000);
    const beat = (await client.heartbeat(fleet.honest.head(), 0)).body as HubHeartbeatResponse;
    assert.deepEqual(beat.challenge, { seqs: [20, 40, 60] });
    const answers = beat.challenge!.seqs.map((s) => ({
      seq: s,
      hash: s >= 40 ? 'b'.repeat(64) : rows[s - 1]!.hash,
    }));
    await client.json(HUB_PATHS.challenge, { answers });
    await page.locator('.spot-checks .badge', { hasText: 'mismatch at seq 40' }).waitFor({ timeout: 10_000 });
    await shot('device-mismatch');

    // Exports: the destination's kind, lag and last error.
    await page.click('header nav button:has-text("exports")');
    const row = page.locator('tr[data-export="collector"]');
    await row.waitFor({ timeout: 10_000 });
    const daemonHead = (await hub.service.store.device(daemonId))!.head!.seq;
    await row
      .locator('td.lag', { hasText: new RegExp(`^${120 + 30 + 3 + daemonHead - 100}$`) })
      .waitFor({ timeout: 10_000 });
    assert.match((await row.textContent()) ?? '', /otlp.*ECONNREFUSED/);
    await shot('exports');

    // Events: sandbox and least severity (denied requests are Low): seqs i+1 with i ≡ 10 (mod 15), 8 of 120.
    await page.click('header nav button:has-text("events")');
    await page.fill('input[name=device]', fleet.honest.id);
    await page.fill('input[name=sandbox]', 'sb-1');
    await page.selectOption('select[name=severity]', 'Low');
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('tr.event').length === 8, null, {
      timeout: 10_000,
    });
    const cells = await page
      .locator('tr.event')
      .evaluateAll((trs) => trs.map((tr) => [tr.children[6]!.textContent, tr.children[7]!.textContent]));
    assert.ok(
      cells.every(([outcome, sandbox]) => outcome === 'denied' && sandbox === 'sb-1'),
      JSON.stringify(cells),
    );
    await shot('events-severity');
    assert.deepEqual(errors, []);
  });
}
