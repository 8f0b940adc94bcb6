// The spend phase of the UI benchmark (ui.ts): `request.ended` events carrying usage, RATE a
// second over 4 sandboxes and 3 models, through the daemon's bus and event stream into the
// page with the Spend view open: long tasks over 50 ms while it draws, and whether the
// view's totals reach every token sent.

import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import type { RequestEndedEvent } from '../../supervisor/api/events.ts';
import type { UiDaemon } from '../e2e/support.ts';

const RATE = Number(process.env.UI_BENCH_SPEND_RATE ?? 200);
const SECONDS = Number(process.env.UI_BENCH_SPEND_SECONDS ?? 5);
const MODELS = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'gpt-4o-mini'];

function ended(i: number): RequestEndedEvent {
  return {
    type: 'request.ended',
    id: randomUUID(),
    time: new Date().toISOString(),
    sandboxId: `spend-${i % 4}`,
    user: 'bench',
    method: 'POST',
    scheme: 'https',
    host: 'api.anthropic.com',
    port: 443,
    path: '/v1/messages',
    outcome: 'allowed',
    reason: 'bench',
    status: 200,
    bytesUp: 500,
    bytesDown: 900,
    durationMs: 40,
    usage: {
      api: i % 3 === 2 ? 'openai.chat' : 'anthropic.messages',
      model: MODELS[i % 3]!,
      inputTokens: 100,
      outputTokens: 20,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0.0005,
    },
  };
}

export async function benchSpendView(d: UiDaemon, page: Page) {
  await page.locator('body').press('8');
  await page.locator('h1', { hasText: 'Spend' }).waitFor();
  // One event first so the cards (and their charts) are on screen before the timed stream.
  for (let i = 0; i < 4; i++) d.daemon.bus.emit(ended(i));
  await page.locator('.spend-chart canvas').first().waitFor({ timeout: 10_000 });
  const from = (await page.evaluate(() => performance.now())) as number;
  let sent = 4;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    const due = 4 + Math.floor(((performance.now() - start) / 1000) * RATE);
    while (sent < due) d.daemon.bus.emit(ended(sent++));
    await new Promise((r) => setTimeout(r, 10));
  }
  const shown = () =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll('[data-today-tokens]')).reduce(
        (sum, el) => sum + Number(el.getAttribute('data-today-tokens')),
        0,
      ),
    ) as Promise<number>;
  let tokens = await shown();
  for (let i = 0; i < 100 && tokens < sent * 120; i++) {
    await new Promise((r) => setTimeout(r, 100));
    tokens = await shown();
  }
  const to = (await page.evaluate(() => performance.now())) as number;
  const entries = (await page.evaluate(
    () => (window as unknown as { __long: Array<[number, number]> }).__long,
  )) as Array<[number, number]>;
  const longTasks = entries.filter(([t]) => t >= from && t <= to).map(([, duration]) => duration);
  return [
    {
      name: `spend view: tokens shown of ${sent} metered requests`,
      value: tokens,
      unit: '',
      goal: { op: '>=' as const, target: sent * 120 },
      note: `${RATE}/s for ${SECONDS} s, 4 sandboxes × 3 models`,
    },
    {
      name: 'spend view: long tasks > 50 ms during the stream',
      value: longTasks.filter((t) => t > 50).length,
      unit: '',
      goal: { op: '<=' as const, target: 0 },
      note: `longest ${Math.max(0, ...longTasks).toFixed(0)} ms`,
    },
  ];
}
