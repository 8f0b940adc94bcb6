// The Approvals view's history and prompt rate in Debian's Chromium against a real daemon, with
// curl held on requests: what was decided is listed with who answered from which client; an
// "always" answer is revoked from its row and the next request asks again; the header counts
// the prompts of the last hour.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { curl } from '../support/curl.ts';
import { policyYaml } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const skip = skipReason();

describe('approval history and prompt rate in Chromium', { skip: skip ?? false }, () => {
  let up: Upstreams;
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let env: Record<string, string>;
  let sandboxId: string;
  const base = () => `http://127.0.0.1:${up.httpPort}`;
  const card = (path: string) => page.locator('li.approval', { hasText: path });
  const row = (path: string) => page.locator('.approval-history li.decided', { hasText: path });

  before(async () => {
    up = await startUpstreams();
    d = await startUiDaemon();
    const created = await d.listener(policyYaml('- match: 127.0.0.1\n  action: ask', { timeoutSeconds: 60 }));
    env = created.env;
    sandboxId = created.listener.sandboxId;
    browser = await launchChromium();
    ({ page, errors } = await openUi(browser, d.openUrl));
    await page.locator('body').press('2');
    await page.locator('h1', { hasText: 'Approvals' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
    await up?.close();
  });

  test('an answered approval is listed with who answered from the browser; the rate counts it', async () => {
    const held = curl(env, [`${base()}/once`]);
    await card('/once').waitFor({ timeout: 5000 });
    await page.locator('.prompt-rate', { hasText: `1 prompt in the last hour (${sandboxId}: 1)` }).waitFor();
    await card('/once')
      .getByRole('button', { name: /Deny once/ })
      .click();
    assert.equal((await held).status, 403);
    await row('/once').waitFor({ timeout: 5000 });
    assert.match((await row('/once').textContent()) ?? '', /Denied once by tester from browser at/);
    assert.equal(
      await row('/once').getByRole('button', { name: 'Revoke' }).count(),
      0,
      'a once answer has nothing to revoke',
    );
  });

  test('an "always" answer is revoked from its row, and the next request asks again', async () => {
    const held = curl(env, [`${base()}/always/x`]);
    await card('/always/x').waitFor({ timeout: 5000 });
    await card('/always/x')
      .getByRole('button', { name: /Always allow/ })
      .click();
    const dialog = page.locator('dialog.confirm');
    await dialog.locator('.policy-diff').waitFor();
    await dialog.getByRole('button', { name: /Confirm/ }).click();
    assert.equal((await held).status, 200);
    assert.equal((await curl(env, [`${base()}/always/x`])).status, 200, 'not asked while the rule stands');
    await row('/always/x').getByRole('button', { name: 'Revoke' }).waitFor({ timeout: 5000 });
    assert.match((await row('/always/x').textContent()) ?? '', /Allowed always by tester from browser/);
    await page.locator('.prompt-rate', { hasText: '2 prompts in the last hour' }).waitFor();
    await screenshot(page, 'approvals-history');
    await row('/always/x').getByRole('button', { name: 'Revoke' }).click();
    await row('/always/x')
      .locator('.revoked', { hasText: 'revoked by tester from browser' })
      .waitFor({ timeout: 5000 });
    assert.equal(await row('/always/x').getByRole('button', { name: 'Revoke' }).count(), 0);
    await screenshot(page, 'approvals-history-revoked');

    const again = curl(env, [`${base()}/always/x`]);
    await card('/always/x').waitFor({ timeout: 5000 });
    await page.locator('.prompt-rate', { hasText: '3 prompts in the last hour' }).waitFor();
    await card('/always/x')
      .getByRole('button', { name: /Deny once/ })
      .click();
    assert.equal((await again).status, 403);
    const revoked = d.events.find((e) => e.type === 'approval.revoked');
    assert.equal(revoked?.type === 'approval.revoked' && revoked.client, 'browser');
    // The bundle's CSP meta tag's frame-ancestors note is Chromium's, not ours.
    assert.deepEqual(
      errors.filter((e) => !/frame-ancestors/.test(e)),
      [],
    );
  });
});
