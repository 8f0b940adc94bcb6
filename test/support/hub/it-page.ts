// IT's inbox on the hub's page in Chromium, for tests: signed in as the test admin, on the
// Approvals tab, with the page's errors collected. Null when there is no Chromium here.

import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { Locator } from 'playwright-core';
import { CHROMIUM, launchChromium } from '../../e2e/support.ts';
import { ADMIN_NAME, ADMIN_PASSWORD } from './admin.ts';

export const hasChromium = () => existsSync(CHROMIUM);

export interface ItInboxPage {
  /** A pending card, once the page lists it. */
  pending(id: string): Promise<Locator>;
  errors: string[];
}

export async function openItInbox(t: TestContext, adminUrl: string): Promise<ItInboxPage> {
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await (await browser.newContext()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${adminUrl}/admin`);
  await page.fill('input[name=name]', ADMIN_NAME);
  await page.fill('input[name=password]', ADMIN_PASSWORD);
  await page.click('button[type=submit]');
  await page.click('header nav button:has-text("approvals")');
  return {
    errors,
    async pending(id) {
      const card = page.locator(`article.approval.pending[data-approval="${id}"]`);
      await card.waitFor({ timeout: 10_000 });
      return card;
    },
  };
}
