// A held MCP call in the desktop app's renderer (Debian's Chromium on the bundle a real
// daemon serves): the official SDK's client calls a tool the policy asks about through the
// listener; the card shows the server, the tool and the masked arguments, offers no
// "always", and Allow once lets the call run.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { connectThrough, type ProxiedMcp } from '../support/mcp-client.ts';
import { startMcpServer, type TestMcpServer } from '../support/mcp-server.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const skip = skipReason();

const POLICY = `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: mcp-ui
spec:
  network:
    default: deny
    rules:
      - match: mcp.test
        action: allow
      - match: 127.0.0.1
        action: allow
  approvals:
    timeoutSeconds: 60
  mcp:
    servers:
      - match: mcp.test
        name: notes-server
        tools:
          - name: write_note
            action: ask
`;

describe('an MCP approval card in Chromium', { skip: skip ?? false }, () => {
  let server: TestMcpServer;
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let mcp: ProxiedMcp;
  let env: Record<string, string>;

  before(async () => {
    server = await startMcpServer({ json: true });
    d = await startUiDaemon({ upstreamCa: [server.caPem], resolve: { 'mcp.test': '127.0.0.1' } });
    await d.client.call('PUT /v1/secrets/:name', {
      params: { name: 'NOTES_TOKEN' },
      body: { value: 'real-notes-token-7731', hosts: ['mcp.test'], inject: 'bearer' },
    });
    ({ env } = await d.listener(POLICY, { secrets: ['NOTES_TOKEN'] }));
    browser = await launchChromium();
    ({ page, errors } = await openUi(browser, d.openUrl));
    mcp = await connectThrough(
      `https://mcp.test:${server.httpsPort}/mcp`,
      env.HTTPS_PROXY as string,
      d.daemon.ca.certPem,
    );
  });
  after(async () => {
    await mcp?.close();
    await browser?.close();
    await d?.stop();
    await server?.close();
  });

  test('the card shows server, tool and masked arguments; Allow once runs the tool', async () => {
    await page.locator('body').press('2');
    await page.locator('h1', { hasText: 'Approvals' }).waitFor();
    const placeholder = env.NOTES_TOKEN as string;
    const result = mcp.client.callTool({
      name: 'write_note',
      arguments: { text: `remember ${placeholder}` },
    });
    const card = page.locator('li.approval', { hasText: 'write_note' });
    await card.waitFor({ timeout: 15_000 });
    const text = (await card.textContent()) ?? '';
    assert.match(text, /MCP tools\/call/);
    assert.match(text, /notes-server/);
    assert.match(
      (await card.locator('pre.mcp-arguments').textContent()) ?? '',
      /remember \[secret placeholder\]/,
    );
    assert.ok(!text.includes(placeholder), 'the placeholder is masked');
    assert.equal(await card.getByRole('button', { name: /Always/ }).count(), 0);
    await screenshot(page, 'approvals-mcp');
    await card.getByRole('button', { name: /Allow once/ }).click();
    const r = await result;
    assert.match(JSON.stringify(r.content), /write_note ran with/);
    await card.waitFor({ state: 'detached', timeout: 10_000 });
    // The meta CSP's frame-ancestors notice is the browser's, about the served page itself.
    assert.deepEqual(
      errors.filter((e) => !/frame-ancestors' is ignored/.test(e)),
      [],
    );
  });
});
