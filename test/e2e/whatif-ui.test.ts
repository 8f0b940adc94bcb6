// What-if replay in the desktop app, in Chromium against a real daemon: requests recorded by
// curl through the proxy, then the Policy view's preview of a project edit and an approval's
// "Always deny" each show "Recorded requests decided differently", grouped by sandbox, with
// the exact shapes and counts the change flips. Screenshots to test-artifacts/screenshots/.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { curl } from '../support/curl.ts';
import { policyYaml, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const skip = skipReason();

describe('what-if replay in Chromium against a real daemon', { skip: skip ?? false }, () => {
  let up: Upstreams;
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let env: Record<string, string>;
  let sandboxId: string;
  const url = (p: string) => `http://127.0.0.1:${up.httpPort}${p}`;
  const replayRows = (scope: string) =>
    page.locator(`${scope} section.replay table.replay-table tbody tr`).allTextContents();

  before(async () => {
    up = await startUpstreams();
    d = await startUiDaemon();
    const created = await d.listener(
      policyYaml('- match: 127.0.0.1\n  paths: ["/repos/**"]\n  action: allow', {
        default: 'ask',
        timeoutSeconds: 60,
      }),
    );
    env = created.env;
    sandboxId = created.listener.sandboxId;
    for (const method of ['GET', 'GET', 'GET', 'POST', 'POST']) {
      assert.equal((await curl(env, ['-X', method, url('/repos/x')])).status, 200);
    }
    // Twice a human let GET /held/1 through once: recorded as asked, then allowed.
    for (let i = 0; i < 2; i++) {
      const held = curl(env, [url('/held/1')]);
      const waiting = await until(
        'the approval',
        async () => (await d.client.call('GET /v1/approvals'))[0],
        10_000,
      );
      await d.client.call('POST /v1/approvals/:id', {
        params: { id: waiting.id },
        body: { decision: 'allow', scope: 'once' },
      });
      assert.equal((await held).status, 200);
    }
    await until(
      'the 7 requests in the audit trail',
      async () =>
        (await d.client.call('GET /v1/audit', { query: { kind: 'request.decided', limit: '100' } })).records
          .length >= 7,
      10_000,
    );
    browser = await launchChromium();
    ({ page, errors } = await openUi(browser, d.openUrl));
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
    await up?.close();
  });

  test('previewing a project edit lists the recorded requests it would decide differently', async () => {
    await page.locator('body').press('3');
    await page.locator('h1', { hasText: 'Policy' }).waitFor();
    await page.locator('.view.policy select').selectOption(sandboxId);
    const editor = page.locator('#policy-editor');
    await until('the project layer in the editor', async () =>
      (await editor.inputValue()).includes('/repos/**'),
    );
    await editor.fill(
      policyYaml('- match: 127.0.0.1\n  methods: [GET]\n  paths: ["/repos/**"]\n  action: allow', {
        default: 'ask',
        timeoutSeconds: 60,
      }),
    );
    await page.locator('table.side-by-side').waitFor();
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const section = page.locator('.preview section.replay[data-replay-state="done"]');
    await section.waitFor({ timeout: 60_000 });
    assert.match((await section.locator('h2').textContent()) ?? '', /Recorded requests decided differently/);
    assert.match((await section.locator('.replay-summary').textContent()) ?? '', /2 of 7 recorded requests/);
    assert.equal(await section.locator('caption').textContent(), `Sandbox ${sandboxId}`);
    const rows = await replayRows('.preview');
    assert.equal(rows.length, 1, rows.join('\n'));
    assert.match(
      rows[0] ?? '',
      new RegExp(`POST http://127\\.0\\.0\\.1:${up.httpPort}/repos/x×2.*allow.*ask`),
    );
    // The examples made from the rules stay, as the second half.
    assert.ok(await page.locator('.preview .policy-diff').isVisible());
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, 'whatif-policy-preview');
    await page.getByRole('button', { name: 'Revert' }).click();
    await page.locator('h1', { hasText: 'Policy' }).click();
  });

  test('"Always deny" on a held request shows which recorded requests it would now deny', async () => {
    const held = curl(env, [url('/held/1')]);
    await page.locator('nav button.nav', { hasText: 'Approvals' }).click();
    await page.locator('h1', { hasText: 'Approvals' }).waitFor();
    const card = page.locator('li.approval', { hasText: '/held/1' });
    await card.waitFor({ timeout: 10_000 });
    await card.getByRole('button', { name: /Always deny/ }).click();
    const dialog = page.locator('dialog.confirm');
    const section = dialog.locator('section.replay[data-replay-state="done"]');
    await section.waitFor({ timeout: 60_000 });
    // The suggested rule denies GET /held/1: the two requests answered once are now denied.
    const rows = await replayRows('dialog.confirm');
    assert.equal(rows.length, 1, rows.join('\n'));
    assert.match(rows[0] ?? '', new RegExp(`GET http://127\\.0\\.0\\.1:${up.httpPort}/held/1×2.*ask.*deny`));
    assert.match((await section.textContent()) ?? '', /2 of 7 recorded requests/);
    await screenshot(page, 'whatif-always-deny');
    await dialog
      .getByRole('button', { name: /^Cancel/ })
      .last()
      .click();
    await dialog.waitFor({ state: 'detached' });
    await card.getByRole('button', { name: /Deny once/ }).click();
    assert.equal((await held).status, 403);
    // As ui.test.ts: Chromium's note on the CSP meta element is not an error of the page.
    assert.deepEqual(
      errors.filter((e) => !/frame-ancestors' is ignored/.test(e)),
      [],
    );
  });
});
