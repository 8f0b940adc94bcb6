// End-to-end support: a real daemon serving browser mode on a loopback port, and Debian's
// Chromium driven by playwright-core. CI without Chromium skips these suites.

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startTestDaemon, type TestDaemon, type TestDaemonOptions } from '../support/daemon.ts';

export const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium';
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshots = path.join(root, 'test-artifacts', 'screenshots');

/** Why the browser suites cannot run here, or null. */
export function skipReason(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (!existsSync(path.join(root, 'dist', 'renderer', 'app.js'))) return 'no renderer bundle (npm run build)';
  return null;
}

export interface UiDaemon extends TestDaemon {
  /** The browser-mode URL with a one-time code in its fragment (good once, for a minute). */
  openUrl: string;
}

/** A test daemon (see test/support/daemon.ts) that also serves browser mode. */
export async function startUiDaemon(
  opts: {
    upstreamCa?: string[];
    resolve?: Record<string, string>;
    /** Further daemon options (e.g. the accelerator for VM sandboxes). */
    daemon?: TestDaemonOptions['daemon'];
    /** An existing state folder (e.g. an audit trail seeded beforehand). */
    home?: string;
  } = {},
): Promise<UiDaemon> {
  const d = await startTestDaemon({
    ...opts,
    daemon: { httpPort: 0, poolSize: 0, ...opts.daemon },
    label: 'agent',
    homePrefix: 'warden-ui-home-',
  });
  const ui = await d.client.call('POST /v1/ui');
  return { ...d, openUrl: ui.openUrl };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--enable-precise-memory-info',
    ],
  });
}

export async function openUi(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1320, height: 860 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  await page.locator('.conn.open').waitFor({ timeout: 10_000 });
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshots, { recursive: true });
  const file = path.join(screenshots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
