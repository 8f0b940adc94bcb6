// The Sandboxes view shows what issue 14 pins on a sandbox: its managed agents (name,
// version; package and integrity on hover) and its disk. A real daemon with the fake VM
// driver (instant boots); the agent is committed to the daemon's own agent store the way a
// finished install is, so the API resolves and pins it as it does for a real one.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { AgentStore } from '../../supervisor/agents/store.ts';
import { FakeVmDriver, fakeImage } from '../support/fake-vm-driver.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const skip = skipReason();
const INTEGRITY = `sha512-${'B'.repeat(86)}==`;

describe('the Sandboxes view shows pinned agents and the disk', { skip: skip ?? false }, () => {
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async () => {
    d = await startUiDaemon({ daemon: { vmDriver: new FakeVmDriver() } });
    fakeImage(d.daemon.images.dir);
    const store = new AgentStore(path.join(d.daemon.paths.home, 'agents'));
    store.ensure();
    const staging = mkdtempSync(path.join(store.dir, '.staging-'));
    mkdirSync(path.join(staging, 'node_modules', '.bin'), { recursive: true });
    store.commit(staging, {
      name: 'demo-agent',
      package: '@example/demo-agent',
      version: '1.2.3',
      integrity: INTEGRITY,
      installedAt: new Date().toISOString(),
      installMs: 1,
      sizeBytes: 1,
      bins: ['demo'],
      installSandboxId: 'vm-install',
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  test('an agent and a disk size given at creation appear on the row', async () => {
    const { sandbox } = await d.client.call('POST /v1/sandboxes', {
      body: { kind: 'vm', label: 'with-agent', agents: ['demo-agent'], diskMiB: 2048 },
    });
    assert.equal(sandbox.kind, 'vm');
    ({ page, errors } = await openUi(browser, d.openUrl));
    await page.keyboard.press('4');
    const row = page.locator('table.list tr', { hasText: sandbox.sandboxId });
    const pin = row.locator('.agent-pin');
    await pin.waitFor({ timeout: 10_000 });
    assert.equal((await pin.textContent())?.trim(), 'demo-agent 1.2.3');
    assert.equal(await pin.getAttribute('title'), `@example/demo-agent ${INTEGRITY}`);
    assert.match((await row.textContent()) ?? '', /disk 2 GiB/);
    await screenshot(page, 'sandboxes-agents');
    assert.deepEqual(
      errors.filter((e) => !/frame-ancestors' is ignored/.test(e)),
      [],
    );
  });
});
