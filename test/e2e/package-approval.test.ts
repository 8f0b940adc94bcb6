// A held npm version in the desktop app's renderer (Debian's Chromium on the bundle a real
// daemon serves): real `npm install` through a listener asks for a version with an install
// script; the card names the package, version, publish time and why, offers no "always", and
// Allow once lets npm finish. The Audit view's package filter then finds the tarball fetched.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { runNpm, startRegistry, type TestRegistry } from '../support/npm-registry.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const skip = skipReason();

describe('a package approval card in Chromium', { skip: skip ?? false }, () => {
  let registry: TestRegistry;
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let env: Record<string, string>;

  before(async () => {
    registry = await startRegistry();
    await registry.publish({
      name: 'ui-scripted',
      version: '3.1.4',
      scripts: { postinstall: 'node post.js' },
    });
    registry.setTime('ui-scripted', '3.1.4', new Date(Date.now() - 10 * 86_400_000));
    d = await startUiDaemon();
    ({ env } = await d.listener(
      [
        'apiVersion: warden.dev/v1',
        'kind: Policy',
        'metadata: { name: npm-ui }',
        'spec:',
        '  network:',
        '    default: deny',
        `    rules: [{ match: "127.0.0.1:${registry.port}", action: allow }]`,
        '  approvals: { timeoutSeconds: 90 }',
        '  packages:',
        '    npm:',
        `      registries: ["127.0.0.1:${registry.port}"]`,
        '      installScripts: ask',
      ].join('\n'),
    ));
    browser = await launchChromium();
    ({ page, errors } = await openUi(browser, d.openUrl));
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
    await registry?.stop();
  });

  test('the card shows the package, its publish time and why; Allow once lets npm install it', async () => {
    await page.locator('body').press('2');
    await page.locator('h1', { hasText: 'Approvals' }).waitFor();
    const temp = makeTempDir('warden-npm-ui-');
    try {
      const install = runNpm(temp.dir, env, registry.url, ['install', 'ui-scripted']);
      const card = page.locator('li.approval', { hasText: 'ui-scripted' });
      await card.waitFor({ timeout: 30_000 });
      const text = (await card.textContent()) ?? '';
      assert.match(text, /npm package/);
      assert.match((await card.locator('.package-name').textContent()) ?? '', /ui-scripted@3\.1\.4/);
      assert.match((await card.locator('.package-published').textContent()) ?? '', /\(10 days ago\)/);
      assert.match(
        (await card.locator('.package-why').textContent()) ?? '',
        /install scripts \(postinstall\)/,
      );
      assert.equal(await card.getByRole('button', { name: /Always/ }).count(), 0);
      await screenshot(page, 'approvals-package');
      await card.getByRole('button', { name: /Allow once/ }).click();
      const run = await install;
      assert.equal(run.code, 0, run.stderr);
    } finally {
      temp.dispose();
    }

    await page.locator('body').press('6');
    await page.locator('h1', { hasText: 'Audit' }).waitFor();
    await page.getByLabel('Package').fill('ui-scripted@3.1.4');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page
      .getByText(/npm ui-scripted@3\.1\.4/)
      .first()
      .waitFor({ timeout: 10_000 });
    await page.getByLabel('Package').fill('ui-scripted@9.9.9');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page
      .getByText(/npm ui-scripted@3\.1\.4/)
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 });
    await screenshot(page, 'audit-package-filter');
    assert.deepEqual(
      errors.filter((e) => !/frame-ancestors' is ignored/.test(e)),
      [],
    );
  });
});
