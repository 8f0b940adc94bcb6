// The renderer end to end: Debian's Chromium (playwright-core) on the bundle the daemon
// serves in browser mode, a real daemon, a real governed proxy and curl as the agent.
// Every view is saved to test-artifacts/screenshots/.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { curl } from '../support/curl.ts';
import { policyYaml, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const skip = skipReason();
const SECRET = 'sk_live_E2E-real-value-93c1d7';

describe('renderer in Chromium against a real daemon', { skip: skip ?? false }, () => {
  let up: Upstreams;
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let env: Record<string, string>;
  let sandboxId: string;
  const base = () => `http://127.0.0.1:${up.httpPort}`;

  const view = async (key: string, heading: string) => {
    await page.locator('body').press(key);
    await page.locator('h1', { hasText: heading }).waitFor();
  };
  const card = (path: string) => page.locator('li.approval', { hasText: path });

  before(async () => {
    up = await startUpstreams();
    d = await startUiDaemon({ upstreamCa: [up.caPem], resolve: { 'api.test': '127.0.0.1' } });
    const created = await d.listener(
      policyYaml(`- match: 127.0.0.1\n  paths: ["/ok/**"]\n  action: allow`, {
        default: 'ask',
        timeoutSeconds: 60,
      }),
    );
    env = created.env;
    sandboxId = created.listener.sandboxId;
    browser = await launchChromium();
    ({ page, errors } = await openUi(browser, d.openUrl));
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
    await up?.close();
  });

  test('the one-time code leaves the address bar and works once; the bundle is served with its CSP; the API still needs the token', async () => {
    assert.ok(!page.url().includes('code=') && !page.url().includes('token'), page.url());
    assert.ok(new URL(d.openUrl).hash.startsWith('#code='), d.openUrl);
    // The same link in a new tab (another browser context) is spent: the page says so.
    const again = await (await browser.newContext()).newPage();
    await again.goto(d.openUrl);
    await again.locator('.state.error', { hasText: 'already used or expired' }).waitFor({ timeout: 10_000 });
    assert.match((await again.locator('.state.error .hint').textContent()) ?? '', /warden ui/);
    await again.context().close();
    const origin = new URL(d.openUrl).origin;
    const res = await fetch(`${origin}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(
      (await fetch(`${origin}/app.js`)).headers.get('content-type'),
      'text/javascript; charset=utf-8',
    );
    assert.equal((await fetch(`${origin}/v1/status`)).status, 401);
    assert.equal((await fetch(`${origin}/%2e%2e/%2e%2e/package.json`)).status, 401);
    // DNS rebinding: a page of another name resolving to 127.0.0.1 is refused by its Host header.
    const rebound = await new Promise<number>((resolve, reject) => {
      http
        .get(`${origin}/`, { headers: { host: `evil.example:${new URL(origin).port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    assert.equal(rebound, 403);
  });

  test('a request from a real client appears as a live row', async () => {
    const r = await curl(env, [`${base()}/ok/first`]);
    assert.equal(r.status, 200);
    const row = page.locator('.activity-table .row', { hasText: '/ok/first' });
    await row.waitFor({ timeout: 5000 });
    assert.match((await row.textContent()) ?? '', /allowed/);
    await screenshot(page, 'activity');
  });

  test('a held request shows a card; Allow once releases it and the next identical request asks again', async () => {
    await view('2', 'Approvals');
    const first = curl(env, [`${base()}/held`]);
    await card('/held').waitFor({ timeout: 5000 });
    assert.match((await card('/held').textContent()) ?? '', new RegExp(sandboxId));
    await screenshot(page, 'approvals');
    await card('/held')
      .getByRole('button', { name: /Allow once/ })
      .click();
    const firstDone = await first;
    assert.equal(firstDone.status, 200, firstDone.body);
    await card('/held').waitFor({ state: 'detached' });
    const second = curl(env, [`${base()}/held`]);
    await card('/held').waitFor({ timeout: 5000 });
    // Deny from the keyboard: focus the card, press d.
    await card('/held').focus();
    await page.keyboard.press('d');
    const denied = await second;
    assert.equal(denied.status, 403);
    assert.match(denied.body, /tester denied it \(once\)/);
  });

  test('Always allow shows the policy diff first; the next request is not held', async () => {
    const held = curl(env, [`${base()}/always/1`]);
    await card('/always/1').waitFor({ timeout: 5000 });
    await card('/always/1')
      .getByRole('button', { name: /Always allow/ })
      .click();
    const dialog = page.locator('dialog.confirm');
    await dialog.locator('.policy-diff').waitFor();
    assert.match((await dialog.textContent()) ?? '', /\+\s*allow 127\.0\.0\.1/);
    await screenshot(page, 'approvals-always-diff');
    await dialog.getByRole('button', { name: /Confirm/ }).click();
    assert.equal((await held).status, 200);
    await dialog.waitFor({ state: 'detached' });
    const again = await curl(env, [`${base()}/always/1`]);
    assert.equal(again.status, 200);
    const ev = d.events.findLast((e) => e.type === 'request.decided' && e.path === '/always/1');
    assert.equal(ev?.type === 'request.decided' && ev.decidedBy, 'policy');
  });

  test('Deny once gives the client the explaining 403', async () => {
    const held = curl(env, [`${base()}/deny-me`]);
    await card('/deny-me').waitFor({ timeout: 5000 });
    await card('/deny-me')
      .getByRole('button', { name: /Deny once/ })
      .click();
    const r = await held;
    assert.equal(r.status, 403);
    assert.match(r.body, /deny-me/);
    assert.match(r.body, /denied it/);
  });

  test('an invalid policy edit shows its error with line and field, and changes nothing', async () => {
    await view('3', 'Policy');
    await page.locator('#policy-editor').waitFor();
    const before = await d.client.call('GET /v1/policy');
    const editor = page.locator('#policy-editor');
    const text = await editor.inputValue();
    await editor.fill(text.replace('default: ask', 'default: maybe'));
    const error = page.locator('ul.errors.validation li').first();
    await error.waitFor({ timeout: 5000 });
    const message = (await error.textContent()) ?? '';
    assert.match(message, /line \d+/);
    assert.match(message, /spec\.network\.default/);
    assert.ok(await page.getByRole('button', { name: 'Apply' }).isDisabled());
    await screenshot(page, 'policy-invalid');
    const after = await d.client.call('GET /v1/policy');
    assert.deepEqual(after, before);
    // A valid edit: the side-by-side diff and the dry-run diff before Apply.
    await editor.fill(
      text.replace('rules: []', 'rules:\n      - match: "*.example.com"\n        action: allow'),
    );
    await page.locator('table.side-by-side').waitFor();
    await page.getByRole('button', { name: 'Preview changes' }).click();
    await page.locator('.preview .policy-diff').waitFor();
    await screenshot(page, 'policy-diff');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('.notice', { hasText: 'Applied' }).waitFor();
    const applied = await d.client.call('GET /v1/policy');
    assert.ok(applied.resolved.rules.some((r) => r.match === '*.example.com' && r.layer === 'base'));
  });

  test('a secret added in the UI is injected into the next matching request', async () => {
    await view('5', 'Secrets');
    await page.locator('input[name=secret-name]').fill('E2E_TOKEN');
    await page.locator('input[name=secret-hosts]').fill('api.test');
    await page.locator('input[name=secret-value]').fill(SECRET);
    await page.getByRole('button', { name: 'Add secret' }).click();
    await page.locator('table.list td', { hasText: 'E2E_TOKEN' }).waitFor();
    assert.equal(await page.locator('input[name=secret-value]').inputValue(), '');
    assert.ok(!(await page.content()).includes(SECRET), 'the value is not in the DOM');
    await screenshot(page, 'secrets');
    const agent = await d.listener(
      policyYaml(`- match: api.test\n  action: allow\n- match: 127.0.0.1\n  action: allow`),
      {
        secrets: ['E2E_TOKEN'],
        label: 'secret-user',
      },
    );
    const placeholder = agent.env.E2E_TOKEN!;
    assert.ok(placeholder && !placeholder.includes(SECRET));
    const r = await curl({ ...agent.env }, [
      '-H',
      `Authorization: Bearer ${placeholder}`,
      `https://api.test:${up.httpsPort}/inject-check`,
    ]);
    assert.equal(r.status, 200, r.stderr + r.body);
    const got = up.received.findLast((x) => x.url === '/inject-check');
    assert.equal(got?.headers.authorization, `Bearer ${SECRET}`);
    assert.ok(!d.logs.join('\n').includes(SECRET));
  });

  test('sandboxes, audit and status render real daemon data', async () => {
    await view('4', 'Sandboxes');
    await page.locator('table.list td', { hasText: sandboxId }).waitFor();
    await screenshot(page, 'sandboxes');
    await view('6', 'Audit');
    await page.locator('.audit-table .row', { hasText: 'request.decided' }).first().waitFor();
    await page.locator('.chain', { hasText: 'Chain verified' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'audit');
    await view('7', 'Status');
    await page.locator('dd', { hasText: 'tester' }).first().waitFor();
    await screenshot(page, 'status');
    await page.keyboard.press('?');
    await page.locator('.help').waitFor();
    await screenshot(page, 'shortcuts');
    await page.keyboard.press('Escape');
  });

  test('the page logged no errors', async () => {
    await until('settle', () => true);
    const real = errors.filter((e) => !/frame-ancestors' is ignored/.test(e));
    assert.deepEqual(real, []);
  });
});
