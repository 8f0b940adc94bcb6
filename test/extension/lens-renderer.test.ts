// Each package's renderer bundle in Debian's Chromium, inside a stand-in of its host with
// that host's libraries as globals (Freelens 2: React 19, MobX 7, mobx-react 10 on
// FreelensExtensionApi, the entry imported by URL; Freelens 1 / OpenLens: React 17, MobX 6,
// mobx-react 7 as top-level globals, the entry required as CommonJS), fed by a real daemon
// through the main-side stand-in over the IPC stand-in (test/support/lens-renderer-suite.ts):
// approvals (by click, by key, "always" after its diff, MCP calls, IT's), a deep link, and
// the daemon absent, restarted or refusing the token. Screenshots in test-artifacts/.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { screenshot } from '../e2e/support.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, until } from '../support/daemon.ts';
import { hostVersions } from '../support/lens-renderer-host.ts';
import { lensRendererSuite, rendererSkip } from '../support/lens-renderer-suite.ts';
import { connectThrough } from '../support/mcp-client.ts';
import { startMcpServer } from '../support/mcp-server.ts';
import { tempDir } from '../support/temp-dir.ts';

const ASK = policyYaml('- match: 127.0.0.1\n  action: ask');
const MCP_ASK = `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: lens-mcp
spec:
  network:
    default: deny
    rules:
      - match: mcp.test
        action: allow
      - match: 127.0.0.1
        action: allow
  approvals:
    timeoutSeconds: 60
  mcp:
    servers:
      - match: mcp.test
        name: notes-server
        tools:
          - name: write_note
            action: ask
          - name: delete_all
            action: ask
            approver: it
`;

describe('the renderer in Chromium', { skip: rendererSkip() }, () => {
  const suite = lensRendererSuite();

  for (const flavor of ['freelens2', 'legacy'] as const) {
    test(`${flavor}: status bar count, Agents page, answers by click and by keyboard, the diff before "always"`, async (t) => {
      const d = await startTestDaemon({ label: 'lens-ui' });
      t.after(() => d.stop());
      const { lp, page } = await suite.open(t, flavor, d.home);
      const versions = await page.evaluate(
        () => (window as unknown as { hostVersions: { react: string } }).hostVersions,
      );
      assert.equal(versions.react, hostVersions(flavor).react, 'the page runs the host flavor React');

      const status = page.locator('.warden-status');
      await page.locator('.warden-status[data-warden-status="connected"]').waitFor({ timeout: 15_000 });
      assert.equal(await status.locator('.warden-count').textContent(), '0');

      const { env, listener } = await d.listener(ASK);
      const url = (p: string) => `http://127.0.0.1:${suite.up().httpPort}${p}`;
      const clicked = curl(env, [url('/by-click')]);
      await until(
        'the status bar to count 1',
        async () => (await status.locator('.warden-count').textContent()) === '1',
        10_000,
      );
      assert.match((await status.getAttribute('aria-label')) ?? '', /1 pending approval/);

      await status.click();
      const card = (p: string) => page.locator('[data-approval]', { hasText: p });
      await card('/by-click').waitFor();
      assert.match((await card('/by-click').textContent()) ?? '', new RegExp(listener.sandboxId));
      assert.match((await card('/by-click').locator('.warden-countdown').textContent()) ?? '', /^\d+ s$/);
      await screenshot(page, `lens-${flavor}-agents-card`);
      await card('/by-click')
        .getByRole('button', { name: /Allow once/ })
        .click();
      assert.equal((await clicked).status, 200, 'allowed by the click');
      await card('/by-click').waitFor({ state: 'detached' });

      const keyed = curl(env, [url('/by-keyboard')]);
      await card('/by-keyboard').waitFor();
      await card('/by-keyboard').focus();
      await page.keyboard.press('d');
      assert.notEqual((await keyed).status, 200, 'denied by the d key');
      await card('/by-keyboard').waitFor({ state: 'detached' });

      let alwaysDone = false;
      const always = curl(env, [url('/always')]).finally(() => {
        alwaysDone = true;
      });
      await card('/always').waitFor();
      await card('/always')
        .getByRole('button', { name: /Always allow/ })
        .click();
      const dialog = page.getByRole('dialog');
      await dialog.locator('[data-warden-diff]').waitFor();
      const diffText = (await dialog.textContent()) ?? '';
      assert.match(diffText, /Always allow 127\.0\.0\.1/);
      assert.match(diffText, /\+ allow 127\.0\.0\.1/, 'the diff names the rule it adds');
      assert.equal(alwaysDone, false, 'the diff is shown before anything is answered');
      await screenshot(page, `lens-${flavor}-always-diff`);
      await dialog.getByRole('button', { name: /Confirm: always allow/ }).click();
      assert.equal((await always).status, 200, 'allowed once confirmed');
      await dialog.waitFor({ state: 'detached' });

      // Answered elsewhere: the card goes, with no error on the page.
      const elsewhere = curl(env, [url('/elsewhere')]);
      await card('/elsewhere').waitFor();
      const id = await card('/elsewhere').getAttribute('data-approval');
      await d.client.call('POST /v1/approvals/:id', {
        params: { id: id! },
        body: { decision: 'deny', scope: 'once' },
      });
      await card('/elsewhere').waitFor({ state: 'detached' });
      await elsewhere;
      assert.equal(await page.locator('.warden-error').count(), 0, 'no error shown');

      // The activity, filtered; the sandbox with its state.
      await page.locator('[data-activity]', { hasText: '/by-keyboard' }).waitFor({ timeout: 5000 });
      await page.getByLabel('Filter by outcome').selectOption('denied');
      await until('only denied rows', async () => {
        const rows = await page.locator('[data-activity]').allTextContents();
        return (
          rows.length >= 2 &&
          rows.every((r) => /denied/.test(r)) &&
          rows.some((r) => r.includes('/by-keyboard'))
        );
      });
      await page.getByLabel('Filter by outcome').selectOption('');
      await page.getByLabel('Filter by method, host or path').fill('/by-click');
      await until('the text filter', async () => {
        const rows = await page.locator('[data-activity]').allTextContents();
        return rows.length >= 1 && rows.every((r) => r.includes('/by-click'));
      });
      await page.locator(`[data-sandbox="${listener.sandboxId}"]`).waitFor();
      assert.match(
        (await page.locator(`[data-sandbox="${listener.sandboxId}"]`).textContent()) ?? '',
        /RUNNING/,
      );
      // Its prompts in the last hour, as the daemon counts them (approval fatigue).
      const prompts = (await d.client.call('GET /v1/sandboxes')).find(
        (s) => s.sandboxId === listener.sandboxId,
      )?.promptsLastHour;
      assert.ok(prompts && prompts >= 4, `the daemon counted ${prompts} prompts`);
      await until('the prompt rate on the row', async () => {
        const cell = page.locator(`[data-sandbox="${listener.sandboxId}"] .warden-prompts`);
        return (await cell.textContent()) === String(prompts);
      });
      await screenshot(page, `lens-${flavor}-agents-page`);

      // Stop: the sandbox is stopped and removed, its row goes.
      await page.getByRole('button', { name: `Stop ${listener.sandboxId}` }).click();
      await page
        .locator(`[data-sandbox="${listener.sandboxId}"]`)
        .waitFor({ state: 'detached', timeout: 10_000 });
      assert.ok(!(await d.client.call('GET /v1/sandboxes')).some((s) => s.sandboxId === listener.sandboxId));

      // The command palette entry and the deep link open the page on an approval.
      const cmds = await page.evaluate(() =>
        (window as unknown as { lensHost: { commands(): Array<{ id: string }> } }).lensHost.commands(),
      );
      assert.ok(cmds.some((c) => c.id === 'warden-agents'));
      assert.deepEqual(lp.errors, []);
    });
  }

  for (const flavor of ['freelens2', 'legacy'] as const) {
    test(`${flavor}: a held MCP call shows its server, tool and masked arguments, and no "always"; IT's says so`, async (t) => {
      const server = await startMcpServer({ json: true });
      t.after(() => server.close());
      const d = await startTestDaemon({
        label: 'lens-mcp',
        upstreamCa: [server.caPem],
        resolve: { 'mcp.test': '127.0.0.1' },
      });
      t.after(() => d.stop());
      await d.client.call('PUT /v1/secrets/:name', {
        params: { name: 'NOTES_TOKEN' },
        body: { value: 'real-notes-token-5521', hosts: ['mcp.test'], inject: 'bearer' },
      });
      const { page } = await suite.open(t, flavor, d.home);
      await page.locator('.warden-status[data-warden-status="connected"]').waitFor({ timeout: 15_000 });
      const { env } = await d.listener(MCP_ASK, { secrets: ['NOTES_TOKEN'] });
      const mcp = await connectThrough(
        `https://mcp.test:${server.httpsPort}/mcp`,
        env.HTTPS_PROXY as string,
        d.daemon.ca.certPem,
      );
      t.after(() => mcp.close());
      const result = mcp.client.callTool({
        name: 'write_note',
        arguments: { text: `keep ${env.NOTES_TOKEN}` },
      });
      await page.locator('.warden-status').click();
      const card = page.locator('[data-approval]', { hasText: 'write_note' });
      await card.waitFor({ timeout: 15_000 });
      const text = (await card.textContent()) ?? '';
      assert.match(text, /MCP tools\/call/);
      assert.match(text, /notes-server/);
      assert.match(
        (await card.locator('.warden-mcp-arguments').textContent()) ?? '',
        /keep \[secret placeholder\]/,
      );
      assert.ok(!text.includes(env.NOTES_TOKEN as string));
      assert.equal(await card.getByRole('button', { name: /Always/ }).count(), 0);
      await screenshot(page, `lens-${flavor}-mcp-card`);
      await card.getByRole('button', { name: /Allow once/ }).click();
      assert.match(JSON.stringify((await result).content), /write_note ran with/);
      // A call IT answers on the team hub: the card says so and offers no answer here.
      void mcp.client.callTool({ name: 'delete_all', arguments: {} }).catch(() => {});
      const forIt = page.locator('[data-approval]', { hasText: 'delete_all' });
      await forIt.waitFor({ timeout: 15_000 });
      assert.match((await forIt.locator('.warden-waiting-it').textContent()) ?? '', /^Waiting for IT/);
      assert.equal(await forIt.getByRole('button').count(), 0, 'no answer buttons');
    });
  }

  for (const flavor of ['freelens2', 'legacy'] as const) {
    test(`${flavor}: no daemon, a clear state with the command; the daemon starts and the page connects`, async (t) => {
      const home = tempDir(t, 'warden-lens-ui-absent-');
      const { lp, page } = await suite.open(t, flavor, home);
      await page.locator('.warden-status[data-warden-status="daemon-absent"]').waitFor({ timeout: 10_000 });
      await page.locator('.warden-status').click();
      const state = page.locator('[data-warden-state="daemon-absent"]');
      await state.waitFor();
      assert.equal(await state.locator('.warden-command').textContent(), 'warden daemon');
      assert.ok(((await state.textContent()) ?? '').includes(home), 'it names the folder it looked in');
      await screenshot(page, `lens-${flavor}-daemon-absent`);
      const d = await startTestDaemon({ home });
      t.after(() => d.stop());
      // The page may connect by itself first (its backoff): then the button is gone.
      await page
        .getByRole('button', { name: 'Try now' })
        .click({ timeout: 2000 })
        .catch(() => {});
      await page.locator('.warden-status[data-warden-status="connected"]').waitFor({ timeout: 15_000 });
      await page.locator('#warden-approvals-title').waitFor();
      assert.deepEqual(lp.errors, []);
    });
  }

  for (const flavor of ['freelens2', 'legacy'] as const) {
    test(`${flavor}: a deep link focuses its card; markup in a request is text; a restart mid-stream and a refused token`, async (t) => {
      const first = await startTestDaemon({ label: 'lens-ui' });
      const { lp, page } = await suite.open(t, flavor, first.home);
      await page.locator('.warden-status[data-warden-status="connected"]').waitFor({ timeout: 15_000 });
      const { env } = await first.listener(ASK);
      const hostile = '/<img src=x onerror="window.pwned=1">';
      const held = curl(env, [
        '--path-as-is',
        `http://127.0.0.1:${suite.up().httpPort}${encodeURI(hostile)}`,
      ]);
      const id = await until(
        'the approval',
        async () => (await first.client.call('GET /v1/approvals'))[0]?.id,
        10_000,
      );
      await page.evaluate(
        (link) => (window as unknown as { lensHost: { openLink(p: string): void } }).lensHost.openLink(link),
        `/approvals/${id}`,
      );
      const card = page.locator(`[data-approval="${id}"]`);
      await card.waitFor();
      await until('the linked card to take the focus', () =>
        card.evaluate((el) => document.activeElement === el),
      );
      assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
      assert.equal(await page.locator('.warden-page img').count(), 0, 'the markup was shown as text');

      // The daemon goes away with the card on screen: the card goes, the page says so.
      await first.daemon.stop();
      await held;
      await card.waitFor({ state: 'detached', timeout: 10_000 });
      await page.locator('[data-warden-state]').first().waitFor({ timeout: 10_000 });
      const second = await startTestDaemon({ home: first.home, label: 'lens-ui' });
      t.after(() => second.stop());
      await page
        .getByRole('button', { name: 'Try now' })
        .click()
        .catch(() => {});
      await page.locator('.warden-status[data-warden-status="connected"]').waitFor({ timeout: 15_000 });
      const again = await second.listener(ASK);
      const heldAgain = curl(again.env, [`http://127.0.0.1:${suite.up().httpPort}/after-restart`]);
      const card2 = page.locator('[data-approval]', { hasText: '/after-restart' });
      await card2.waitFor({ timeout: 10_000 });
      await card2.getByRole('button', { name: /Deny once/ }).click();
      assert.notEqual((await heldAgain).status, 200);

      // A token the daemon refuses, found when the preferences pane points at the folder again.
      const tokenFile = path.join(first.home, 'token');
      writeFileSync(tokenFile, 'refused-token-0123456789abcdef0123456789abcdef');
      await page.getByLabel('Warden state folder').fill(first.home);
      await page.locator('[data-warden-prefs]').getByRole('button', { name: 'Save' }).click();
      await page.locator('.warden-status').click();
      const refused = page.locator('[data-warden-state="token-refused"]');
      await refused.waitFor({ timeout: 10_000 });
      assert.ok(((await refused.textContent()) ?? '').includes(tokenFile));
      assert.ok(!(await page.content()).includes('refused-token-0123'), 'the token is not on the page');
      await screenshot(page, `lens-${flavor}-token-refused`);
      assert.deepEqual(lp.errors, []);
    });
  }
});
