// The Spend view and a budget's `ask` in the desktop app's renderer (Debian's Chromium on the
// bundle a real daemon serves), with real metered traffic: the official Anthropic and OpenAI
// SDKs through a listener with TLS interception to the loopback stand-ins of both APIs. The
// view starts empty (with how to set a budget), then shows the sandbox, its models with
// their token totals and the daily limit live as the calls end; over the limit the call is
// held, its card names the budget, Allow once lets the SDK call through, Deny once gives the
// SDK the provider's 429.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { Page } from 'playwright-core';
import { until } from '../support/daemon.ts';
import { modelSdks } from '../support/model-sdk-clients.ts';
import type { SpendStub } from '../support/model-spend-stubs.ts';
import { type ModelStubUi, startModelStubUi } from './model-stub-ui.ts';
import { screenshot, skipReason, type UiDaemon } from './support.ts';

const skip = skipReason();

const POLICY = `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: spend-ui
spec:
  network:
    default: deny
    rules:
      - match: models.test
        action: allow
        tls: inspect
      - match: 127.0.0.1/32
        action: allow
  approvals:
    timeoutSeconds: 60
  budgets:
    hosts: [models.test]
    prices:
      - { model: stub-claude, input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }
      - { model: stub-gpt, input: 2, output: 8, cacheRead: 0.5 }
    limits:
      - { per: day, tokens: 400, action: ask }
`;

describe('the Spend view and budget approvals in Chromium', { skip: skip ?? false }, () => {
  let stub: SpendStub;
  let d: UiDaemon;
  let page: Page;
  let errors: string[];
  let sdks: ReturnType<typeof modelSdks> | undefined;
  let sandboxId = '';

  let ui: ModelStubUi | undefined;
  before(async () => {
    ui = await startModelStubUi('spend');
    ({ stub, d, page, errors } = ui);
  });
  after(async () => {
    await ui?.close();
  });

  const claude = (sdk: Anthropic) =>
    sdk.messages.create({
      model: 'stub-claude-1',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
    });

  test('empty at first, saying how to set a budget; then the sandbox and its models, live', async () => {
    await page.locator('body').press('8');
    await page.locator('h1', { hasText: 'Spend' }).waitFor();
    const empty = page.locator('.state.empty', { hasText: 'No model spend yet' });
    await empty.waitFor();
    assert.match((await empty.textContent()) ?? '', /spec:\s*budgets:\s*limits:/);
    await screenshot(page, 'spend-empty');

    const { env, listener } = await d.listener(POLICY);
    sandboxId = listener.sandboxId;
    sdks = modelSdks(env.HTTPS_PROXY as string, d.daemon.ca.certPem, stub.port);
    const { anthropic, openai } = sdks;
    // The sandbox has a budget: it is shown (at zero) once the view is fetched again.
    await page.locator('body').press('1');
    await page.locator('body').press('8');
    const card = page.locator(`section.spend-sandbox[data-sandbox="${listener.sandboxId}"]`);
    await card.waitFor();
    assert.equal(await card.locator('[data-today-tokens]').getAttribute('data-today-tokens'), '0');
    assert.equal(await card.locator('.legend-item.limit').getAttribute('data-limit'), '400');

    // Usage arrives on the event stream: the view follows without a reload.
    await claude(anthropic);
    await openai.chat.completions.create({ model: 'stub-gpt-1', messages: [{ role: 'user', content: 'x' }] });
    await until('the live totals', async () =>
      (await card.locator('[data-today-tokens]').getAttribute('data-today-tokens')) === '465'
        ? true
        : undefined,
    );
    assert.equal(
      await card.locator('.spend-chart').getAttribute('data-total'),
      '465',
      'the chart sums the same',
    );
    const row = (model: string) => card.locator(`tr[data-model="${model}"] td`).allTextContents();
    // Requests, input, output, cache, cost: 120×3 + 45×15 + 30×0.3 + 10×3.75 µ$ and 150×2 + 60×8 + 50×0.5 µ$.
    assert.deepEqual(await row('stub-claude-1'), ['stub-claude-1', '1', '120', '45', '40', '$0.0011']);
    assert.deepEqual(await row('stub-gpt-1'), ['stub-gpt-1', '1', '150', '60', '50', '$0.00081']);
    assert.equal(await card.locator('.legend-item[data-model]').count(), 2, 'a line per model');
    const bar = card.locator('.budget-bar[data-per="day"]');
    assert.match((await bar.textContent()) ?? '', /465 of 400 tokens per day \(UTC\) · at the limit: ask/);
    assert.equal(await bar.locator('meter').getAttribute('value'), '100');
    await screenshot(page, 'spend-view');
    // The bundle's CSP meta tag's frame-ancestors note is Chromium's, not ours.
    assert.deepEqual(
      errors.filter((e) => !/frame-ancestors' is ignored/.test(e)),
      [],
    );
  });

  test('over the limit: the card names the budget; Allow once lets the call through, Deny once is a 429', async () => {
    assert.ok(sdks, 'the SDKs of the first test');
    await page.locator('body').press('2');
    await page.locator('h1', { hasText: 'Approvals' }).waitFor();
    const held = claude(sdks.anthropic);
    const card = page.locator('li.approval', { hasText: 'over budget' });
    await card.waitFor({ timeout: 15_000 });
    const text = (await card.textContent()) ?? '';
    assert.match(text, /POST over budget/);
    assert.match(text, /465 of 400 tokens per day \(UTC\)/);
    assert.match(text, /stub-claude-1, stub-gpt-1|stub-gpt-1, stub-claude-1/);
    assert.match(text, new RegExp(sandboxId));
    assert.equal(await card.getByRole('button', { name: /Always/ }).count(), 0, 'answered once only');
    await screenshot(page, 'approvals-budget');
    await card.getByRole('button', { name: /Allow once/ }).click();
    const msg = await held;
    assert.equal(msg.usage.output_tokens, 45, 'the held call was answered by the stand-in');
    await card.waitFor({ state: 'detached' });

    const refused = claude(sdks.anthropic).then(
      () => assert.fail('the denied call went through'),
      (e: unknown) => e,
    );
    const next = page.locator('li.approval', { hasText: '670 of 400 tokens' });
    await next.waitFor({ timeout: 15_000 });
    await next.getByRole('button', { name: /Deny once/ }).click();
    const e = await refused;
    assert.ok(e instanceof Anthropic.RateLimitError, `an Anthropic RateLimitError, got ${String(e)}`);
    assert.match(e.message, /budget of 400 tokens per day is used up/);

    // The spend view took the allowed call live.
    await page.locator('body').press('8');
    const tokens = page.locator(`section.spend-sandbox[data-sandbox="${sandboxId}"] [data-today-tokens]`);
    await until('the allowed call in the spend view', async () =>
      (await tokens.getAttribute('data-today-tokens')) === '670' ? true : undefined,
    );
    // The bundle's CSP meta tag's frame-ancestors note is Chromium's, not ours.
    assert.deepEqual(
      errors.filter((e) => !/frame-ancestors' is ignored/.test(e)),
      [],
    );
  });
});
