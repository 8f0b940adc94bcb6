// IT's approvals through the team hub, timed (issue 22): a real hub with its admin page in
// Chromium, a real enrolled daemon, curl through its proxy held by an organisation rule with
// `approver: it`. Two figures, SAMPLES each:
// - held → card visible to IT: from curl's start to the card on the hub's Approvals page;
// - answer → device released: from the admin's answer to curl's 200.
// Goals: p50 ≤ 1 s and p95 ≤ 3 s for each.

import type { TestContext } from 'node:test';
import { buildHubWeb } from '../../build/hub-web.mjs';
import { HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import { launchChromium } from '../e2e/support.ts';
import { curl } from '../support/curl.ts';
import { ADMIN_NAME, ADMIN_PASSWORD, AdminClient } from '../support/hub/admin.ts';
import { heldForIt, itFleet } from '../support/hub/it-approvals.ts';
import { tempDir } from '../support/temp-dir.ts';
import type { Figure } from './figures.ts';

const SAMPLES = Number(process.env.IT_APPROVALS_SAMPLES) || 20;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

export async function benchItApprovals(): Promise<Figure[]> {
  const cleanups: Array<() => unknown> = [];
  const t = { after: (fn: () => unknown) => cleanups.push(fn) } as unknown as TestContext;
  try {
    const webRoot = await buildHubWeb({ outdir: tempDir(t, 'hub-web-bench-'), minify: true });
    const f = await itFleet(t, 'sqlite', { webRoot, timeoutSeconds: 60 });
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${f.hub.adminUrl}/admin`);
    await page.fill('input[name=name]', ADMIN_NAME);
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.click('header nav button:has-text("approvals")');
    const admin = new AdminClient(f.hub.adminUrl);
    await admin.signIn();
    const visible: number[] = [];
    const onDevice: number[] = [];
    const released: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const path = `/bench-${i}`;
      const started = performance.now();
      const request = curl(f.sandbox.env, ['--max-time', '60', `http://evil.test:${f.up.httpPort}${path}`]);
      const waiting = heldForIt(f, path).then((h) => {
        onDevice.push(performance.now() - started);
        return h;
      });
      await page
        .locator('article.approval.pending h3', { hasText: new RegExp(`${path}$`) })
        .waitFor({ timeout: 30_000 });
      visible.push(performance.now() - started);
      const held = await waiting;
      const answered = performance.now();
      const r = await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, { id: held.id, decision: 'allow' });
      if (r.status !== 200) throw new Error(`the answer failed: ${JSON.stringify(r.body)}`);
      const done = await request;
      if (done.status !== 200) throw new Error(`the request was not released: ${done.status}`);
      released.push(performance.now() - answered);
    }
    const figures: Figure[] = [];
    const device = [...onDevice].sort((a, b) => a - b);
    figures.push({
      section: 'it-approvals',
      name: 'held on the device (curl start → listed) p50',
      value: Math.round(quantile(device, 0.5)),
      unit: 'ms',
      note: 'the part of the first leg before the hub: curl, the proxy, the queue',
    });
    for (const [name, values] of [
      ['held → card visible to IT', visible],
      ['answer → device released', released],
    ] as const) {
      const sorted = [...values].sort((a, b) => a - b);
      for (const [q, target] of [
        [0.5, 1000],
        [0.95, 3000],
      ] as const) {
        figures.push({
          section: 'it-approvals',
          name: `${name} p${q * 100}`,
          value: Math.round(quantile(sorted, q)),
          unit: 'ms',
          goal: { op: '<=', target, on: 'value' },
          note: `${SAMPLES} samples; the page refreshes its inbox every 250 ms`,
        });
      }
    }
    return figures;
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}
