// Renderer benchmark in Debian's Chromium against a real daemon: 1,000 request.decided
// events/s for 10 s through the daemon's bus and its event stream into the page, with the
// activity charts (rate by outcome, top hosts by requests and bytes) on screen and drawing
// (long tasks over 50 ms, JS heap before/after), then the time from a request being held to
// its approval card rendered (median of 20), then the Spend view under metered traffic
// (ui-spend.ts).

import { randomUUID } from 'node:crypto';
import type { RequestDecidedEvent } from '../../supervisor/api/events.ts';
import { launchChromium, openUi, skipReason, startUiDaemon } from '../e2e/support.ts';
import { curl } from '../support/curl.ts';
import { policyYaml } from '../support/daemon.ts';
import { benchSpendView } from './ui-spend.ts';

const RATE = Number(process.env.UI_BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.UI_BENCH_SECONDS ?? 10);

function decided(i: number): RequestDecidedEvent {
  return {
    type: 'request.decided',
    id: randomUUID(),
    time: new Date().toISOString(),
    sandboxId: `bench-${i % 4}`,
    user: 'bench',
    method: i % 5 === 0 ? 'POST' : 'GET',
    scheme: 'https',
    host: `api${i % 7}.example.com`,
    port: 443,
    path: `/v1/items/${i}`,
    outcome: i % 9 === 0 ? 'denied' : 'allowed',
    rule: null,
    reason: 'bench',
    decidedBy: 'policy',
    bytesUp: 300,
    bytesDown: 2000,
    durationMs: 3,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : Number.NaN;
};

export async function benchUi() {
  const skip = skipReason();
  if (skip) throw new Error(skip);
  const d = await startUiDaemon();
  const browser = await launchChromium();
  try {
    const { page } = await openUi(browser, d.openUrl);
    // Nothing runs yet, so the first-run guide shows: skip it to the activity view.
    await page.getByRole('button', { name: /Skip: show the activity/ }).click({ timeout: 10_000 });
    // The charts are on screen before the stream starts, and stay there during it.
    await page.locator('.rate-chart canvas').waitFor({ timeout: 10_000 });
    await page.locator('.hosts-card[data-by=bytes] canvas').waitFor({ timeout: 10_000 });
    await page.evaluate(() => {
      const w = window as unknown as { __long: Array<[number, number]> };
      w.__long = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__long.push([e.startTime, e.duration]);
      }).observe({ type: 'longtask' });
    });
    const heap = async () => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      await cdp.detach();
      return usedSize / 2 ** 20;
    };
    const heapBefore = await heap();
    // Forced collections are long tasks themselves: only tasks inside the stream's window count.
    const from = (await page.evaluate(() => performance.now())) as number;
    // The stream: RATE events per second in 10 ms ticks.
    let sent = 0;
    const start = performance.now();
    while (performance.now() - start < SECONDS * 1000) {
      const due = Math.floor(((performance.now() - start) / 1000) * RATE);
      while (sent < due) d.daemon.bus.emit(decided(sent++));
      await new Promise((r) => setTimeout(r, 10));
    }
    await page.waitForFunction(
      (n) =>
        document.querySelector('.view-foot')?.textContent?.includes(`${n.toLocaleString('en-US')} decisions`),
      sent,
      { timeout: 20_000 },
    );
    const to = (await page.evaluate(() => performance.now())) as number;
    // The charts drew the stream: the rate legend counts every decision of the window
    // (it redraws at most every 250 ms, so it may trail the table a little).
    const legendSum = () =>
      page.evaluate(() =>
        ['allowed', 'denied'].reduce((sum, k) => {
          const b = document.querySelector(`.rate-card .legend-item[data-kind=${k}] b`);
          return sum + Number(b?.textContent?.replace(/[^0-9]/g, '') ?? 0);
        }, 0),
      ) as Promise<number>;
    let charted = await legendSum();
    for (let i = 0; i < 50 && charted < sent; i++) {
      await new Promise((r) => setTimeout(r, 100));
      charted = await legendSum();
    }
    const hosts =
      (await page.locator('.hosts-card[data-by=requests] .host-bars').getAttribute('data-hosts')) ?? '';
    const entries = (await page.evaluate(
      () => (window as unknown as { __long: Array<[number, number]> }).__long,
    )) as Array<[number, number]>;
    const longTasks = entries.filter(([t]) => t >= from && t <= to).map(([, duration]) => duration);
    // Memory after the stream: the buffer is full (bounded), so the heap must not keep growing.
    const heapAfter = await heap();
    await new Promise((r) => setTimeout(r, 2000));
    const heapSettled = await heap();

    // Held request → card rendered.
    const { env } = await d.listener(policyYaml(`- match: 127.0.0.1\n  action: ask`, { timeoutSeconds: 60 }));
    await page.locator('body').press('2');
    await page.locator('h1', { hasText: 'Approvals' }).waitFor();
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const path = `/held-${i}`;
      const held = new Promise<number>((resolve) => {
        const off = d.daemon.bus.subscribe((e) => {
          if (e.type === 'approval.pending' && e.approval.path === path) {
            off();
            resolve(Date.now());
          }
        });
      });
      await page.evaluate((p) => {
        const w = window as unknown as { __seen?: number };
        w.__seen = undefined;
        const obs = new MutationObserver(() => {
          for (const el of Array.from(document.querySelectorAll('li.approval .target')))
            if (el.textContent?.endsWith(p)) {
              w.__seen = Date.now();
              obs.disconnect();
            }
        });
        obs.observe(document.body, { childList: true, subtree: true });
      }, path);
      // Denied below, so nothing is ever connected to (port 9, discard).
      const client = curl(env, [`http://127.0.0.1:9${path}`]);
      const heldAt = await held;
      await page.waitForFunction(() => (window as unknown as { __seen?: number }).__seen !== undefined);
      const seenAt = (await page.evaluate(() => (window as unknown as { __seen: number }).__seen)) as number;
      latencies.push(seenAt - heldAt);
      const id = (await d.client.call('GET /v1/approvals')).find((a) => a.path === path)?.id;
      if (id)
        await d.client.call('POST /v1/approvals/:id', {
          params: { id },
          body: { decision: 'deny', scope: 'once' },
        });
      await client;
    }
    const spend = await benchSpendView(d, page);
    return [
      { name: 'events streamed into the page', value: sent, unit: '' },
      {
        name: 'decisions drawn by the rate chart',
        value: charted,
        unit: '',
        goal: { op: '>=', target: sent },
        note: `top hosts: ${hosts.split(' ').length} bars`,
      },
      {
        name: 'long tasks > 50 ms during the stream',
        value: longTasks.filter((t) => t > 50).length,
        unit: '',
        goal: { op: '<=', target: 0 },
        note: `longest ${Math.max(0, ...longTasks).toFixed(0)} ms`,
      },
      { name: 'JS heap before the stream', value: heapBefore, unit: 'MiB' },
      { name: 'JS heap after the stream', value: heapAfter, unit: 'MiB' },
      { name: 'JS heap 2 s later', value: heapSettled, unit: 'MiB' },
      {
        name: 'held request → card rendered (median of 20)',
        value: median(latencies),
        unit: 'ms',
        goal: { op: '<=', target: 100 },
        note: `max ${Math.max(...latencies)} ms`,
      },
      ...spend,
    ];
  } finally {
    await browser.close();
    await d.stop();
  }
}
