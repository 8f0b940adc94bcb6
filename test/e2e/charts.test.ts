// The charts in Chromium against a real daemon: the activity charts drawn from requests a
// real client made through the governed proxy; a bar click and a brush filter the table.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { curl } from '../support/curl.ts';
import { policyYaml } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const skip = skipReason();

describe('charts in Chromium against a real daemon', { skip: skip ?? false }, () => {
  let up: Upstreams;
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let env: Record<string, string>;
  let sandboxId: string;
  const url = (host: string, path: string) => `http://${host}:${up.httpPort}${path}`;
  const tablePaths = async () =>
    (await page.locator('.activity-table .scroller .row .path').allTextContents()).sort();
  /** The table's paths once it shows `n` rows (the virtualizer lays rows out a frame later). */
  const pathsOnceShowing = async (n: number) => {
    await page.waitForFunction(
      (k) => document.querySelectorAll('.activity-table .scroller .row').length === k,
      n,
      {
        timeout: 10_000,
      },
    );
    return tablePaths();
  };

  before(async () => {
    up = await startUpstreams();
    d = await startUiDaemon({
      resolve: { 'api.test': '127.0.0.1', 'b.test': '127.0.0.1', 'c.test': '127.0.0.1' },
    });
    ({
      env,
      listener: { sandboxId },
    } = await d.listener(
      // The loopback address is named so the names resolved to it may reach it; c.test has no rule.
      policyYaml(
        `- match: api.test\n  action: allow\n- match: b.test\n  action: allow\n- match: 127.0.0.1\n  action: allow`,
      ),
    ));
    browser = await launchChromium();
    ({ page, errors } = await openUi(browser, d.openUrl));
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
    await up?.close();
  });

  test('the rate chart and the host bars draw what a real client did', async () => {
    // 3 allowed to api.test, 1 allowed to b.test, 1 denied (no rule for c.test).
    for (const p of ['/a1', '/a2', '/a3']) assert.equal((await curl(env, [url('api.test', p)])).status, 200);
    assert.equal((await curl(env, [url('b.test', '/b1')])).status, 200);
    assert.equal((await curl(env, [url('c.test', '/no')])).status, 403);
    const legend = (kind: string) => page.locator(`.rate-card .legend-item[data-kind=${kind}] b`);
    await page.waitForFunction(
      () =>
        document.querySelector('.rate-card .legend-item[data-kind=allowed] b')?.textContent === '4' &&
        document.querySelector('.rate-card .legend-item[data-kind=denied] b')?.textContent === '1',
      undefined,
      { timeout: 10_000 },
    );
    assert.equal(await legend('error').textContent(), '0');
    // uPlot drew into a canvas of the chart's size.
    const canvas = page.locator('.rate-chart canvas');
    const box = await canvas.boundingBox();
    assert.ok(box && box.width > 200 && box.height > 100, JSON.stringify(box));
    const byRequests = page.locator('.hosts-card[data-by=requests] .host-bars');
    await page.waitForFunction(
      () =>
        document.querySelector('.hosts-card[data-by=requests] .host-bars')?.getAttribute('data-hosts') ===
        'api.test b.test c.test',
      undefined,
      { timeout: 10_000 },
    );
    // Bytes arrive with request.ended: the denied request moved none, so two hosts.
    await page.waitForFunction(
      () =>
        document.querySelector('.hosts-card[data-by=bytes] .host-bars')?.getAttribute('data-hosts') !== '',
      undefined,
      { timeout: 10_000 },
    );
    assert.match((await byRequests.getAttribute('aria-label')) ?? '', /api\.test 3, b\.test 1/);
    await screenshot(page, 'activity-charts');
  });

  test('clicking a host bar shows only that host in the table', async () => {
    const over = page.locator('.hosts-card[data-by=requests] .u-over');
    const box = (await over.boundingBox())!;
    // Eight ranks top to bottom; b.test is the second.
    await page.mouse.move(box.x + 20, box.y + (1.5 / 8) * box.height);
    await page.mouse.click(box.x + 20, box.y + (1.5 / 8) * box.height);
    await page.waitForFunction(
      () =>
        (document.querySelector('.activity .toolbar input[type=search]') as HTMLInputElement).value ===
        'b.test',
      undefined,
      { timeout: 10_000 },
    );
    assert.deepEqual(await pathsOnceShowing(1), ['/b1']);
    await screenshot(page, 'activity-bar-filter');
    await page.locator('.activity .toolbar input[type=search]').fill('');
    assert.equal((await pathsOnceShowing(5)).length, 5);
  });

  test('brushing a time range on the rate chart filters the table to it', async () => {
    // A later request, six seconds after the others (the chart has about 1.5 px a second).
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal((await curl(env, [url('api.test', '/late')])).status, 200);
    const late = d.events.findLast((e) => e.type === 'request.decided' && e.path === '/late')!;
    await page.locator('.activity-table .row', { hasText: '/late' }).waitFor({ timeout: 10_000 });
    // The charts redraw up to 250 ms after the table: wait until the chart's window holds /late's second.
    await page.waitForFunction(
      (second) => Number(document.querySelector('.rate-chart')?.getAttribute('data-to')) >= second,
      Math.floor(Date.parse(late.time) / 1000) * 1000,
      { timeout: 10_000 },
    );
    const chart = page.locator('.rate-chart');
    const over = page.locator('.rate-chart .u-over');
    const box = (await over.boundingBox())!;
    const from = Number(await chart.getAttribute('data-from'));
    const to = Number(await chart.getAttribute('data-to'));
    const xOf = (ms: number) => box.x + ((ms - from) / (to - from)) * box.width;
    const start = xOf(Date.parse(late.time) - 3500);
    await page.mouse.move(start, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.locator('.range-chip').waitFor({ timeout: 10_000 });
    // The range starts between the first requests and /late and runs to now: only /late is in it.
    const shown = await page
      .waitForFunction(
        () => {
          const paths = Array.from(document.querySelectorAll('.activity-table .scroller .row .path')).map(
            (e) => e.textContent,
          );
          return paths.length > 0 && paths.length < 6 ? paths : null;
        },
        undefined,
        { timeout: 10_000 },
      )
      .then((h) => h.jsonValue())
      .catch(async (e) => {
        const rows = await tablePaths();
        const chip = await page.locator('.range-chip').textContent();
        throw new Error(
          `${e}: after the brush ${chip} (from x ${start - box.x} of ${box.width}), rows ${rows.join(' ')}; /late at ${late.time}`,
        );
      });
    assert.deepEqual(
      shown,
      ['/late'],
      `range ${await page.locator('.range-chip').textContent()}, /late at ${late.time}`,
    );
    await screenshot(page, 'activity-brush');
    await page.locator('.range-chip').click();
    assert.equal((await pathsOnceShowing(6)).length, 6);
  });

  test('audit: the histogram counts the records by kind; brushing narrows the table; the chain badge', async () => {
    await page.locator('body').press('6');
    await page.locator('h1', { hasText: 'Audit' }).waitFor();
    await page.locator('.chain-badge.ok', { hasText: 'Chain verified' }).waitFor({ timeout: 10_000 });
    // The last two minutes in 96 buckets: about 1.25 s each.
    await page.locator('input[placeholder^="1h"]').fill('2m');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const decidedCount = page.locator('.audit-histogram-card .legend-item[data-kind="request.decided"] b');
    await page.waitForFunction(
      () =>
        document.querySelector('.audit-histogram-card .legend-item[data-kind="request.decided"] b')
          ?.textContent === '6',
      undefined,
      { timeout: 10_000 },
    );
    assert.equal(await decidedCount.textContent(), '6');
    assert.ok(await page.locator('.audit-histogram-card .legend-item[data-kind="request.ended"]').count());
    await screenshot(page, 'audit-histogram');
    const late = d.events.findLast((e) => e.type === 'request.decided' && e.path === '/late')!;
    const chart = page.locator('.audit-histogram');
    const box = (await page.locator('.audit-histogram .u-over').boundingBox())!;
    const from = Number(await chart.getAttribute('data-from'));
    const to = Number(await chart.getAttribute('data-to'));
    const xOf = (ms: number) => box.x + ((ms - from) / (to - from)) * box.width;
    await page.mouse.move(xOf(Date.parse(late.time) - 3000), box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.locator('.audit .range-chip').waitFor({ timeout: 10_000 });
    await page.waitForFunction(
      () =>
        document.querySelector('.audit-histogram-card .legend-item[data-kind="request.decided"] b')
          ?.textContent === '1',
      undefined,
      { timeout: 10_000 },
    );
    const details = await page.locator('.audit-table .row .path').allTextContents();
    assert.ok(
      details.some((t) => t.includes('/late')),
      details.join('|'),
    );
    assert.ok(!details.some((t) => /\/(a\d|b1|no)\b/.test(t)), details.join('|'));
    assert.match(await page.locator('input[placeholder="now"]').inputValue(), /^\d{4}-\d\d-\d\dT/);
    await screenshot(page, 'audit-brushed');
    await page.locator('.audit .range-chip').click();
    await page.locator('.audit .range-chip').waitFor({ state: 'detached' });
  });

  test('sandboxes: the network of each over the last minutes as a sparkline', async () => {
    await page.locator('body').press('4');
    await page.locator('h1', { hasText: 'Sandboxes' }).waitFor();
    const network = page.locator(`.load[data-sandbox="${sandboxId}"] .sparkline[data-label=Network]`);
    await network.waitFor({ timeout: 10_000 });
    // Traffic between two samples shows as a rate going down to the sandbox.
    const until = Date.now() + 15_000;
    let text = '';
    while (Date.now() < until) {
      assert.equal((await curl(env, [url('api.test', '/bytes/200000')])).status, 200);
      text = (await network.locator('.spark-text').textContent()) ?? '';
      if (!/↓0 B\/s/.test(text)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(text, /↓\d+(\.\d+)? (KB|KiB|MB|MiB|kB)\/s/);
    assert.ok(await network.locator('canvas').count());
    await screenshot(page, 'sandboxes-load');
  });

  test('the page logged no errors', () => {
    const real = errors.filter((e) => !/frame-ancestors' is ignored/.test(e));
    assert.deepEqual(real, []);
  });
});
