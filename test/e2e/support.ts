// End-to-end support: a real daemon serving browser mode on a loopback port, and Debian's
// Chromium driven by playwright-core. CI without Chromium skips these suites.

import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ApiClient } from '../../supervisor/api/client.ts';
import type { CreateListenerResponse, WardenEvent } from '../../supervisor/api/index.ts';
import { Daemon } from '../../supervisor/daemon/index.ts';
import { createLogger } from '../../supervisor/daemon/logger.ts';

export const CHROMIUM = process.env.WARDEN_CHROMIUM ?? '/usr/bin/chromium';
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshots = path.join(root, 'test-artifacts', 'screenshots');

/** Why the browser suites cannot run here, or null. */
export function skipReason(): string | null {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (!existsSync(path.join(root, 'dist', 'renderer', 'app.js'))) return 'no renderer bundle (npm run build)';
  return null;
}

export interface UiDaemon {
  daemon: Daemon;
  home: string;
  client: ApiClient;
  events: WardenEvent[];
  logs: string[];
  /** The browser-mode URL with the token in its fragment. */
  openUrl: string;
  listener(
    policyYaml?: string,
    opts?: { secrets?: string[]; label?: string },
  ): Promise<CreateListenerResponse>;
  stop(): Promise<void>;
}

export async function startUiDaemon(
  opts: { upstreamCa?: string[]; resolve?: Record<string, string> } = {},
): Promise<UiDaemon> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'warden-ui-home-'));
  const logs: string[] = [];
  const daemon = await Daemon.start({
    home,
    httpPort: 0,
    poolSize: 0,
    upstreamCa: opts.upstreamCa,
    resolve: new Map(Object.entries(opts.resolve ?? {}).map(([k, v]) => [k, [v]])),
    log: createLogger((line) => logs.push(line)),
    user: 'tester',
  });
  const events: WardenEvent[] = [];
  daemon.bus.subscribe((e) => events.push(e));
  const client = await ApiClient.fromFiles(daemon.paths.socket, daemon.paths.tokenFile);
  const ui = await client.call('POST /v1/ui');
  return {
    daemon,
    home,
    client,
    events,
    logs,
    openUrl: ui.openUrl,
    listener: (policyYaml, o = {}) =>
      client.call('POST /v1/listeners', {
        body: {
          label: o.label ?? 'agent',
          ...(policyYaml ? { policy: { yaml: policyYaml, source: path.join(home, 'project.yaml') } } : {}),
          secrets: o.secrets ?? [],
        },
      }),
    async stop() {
      await daemon.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
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
