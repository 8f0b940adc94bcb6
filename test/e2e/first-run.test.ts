// The first run in Chromium against a real daemon: with no sandbox and no traffic the app
// leads through starting one VM sandbox in a workspace with a preset, showing the preset's
// policy before it starts and the boot's progress. The daemon's VM driver is the fake one
// (test/support/fake-vm-driver.ts: its boot is held, then released, by the test), so the
// sandbox, its proxy listener, its policy layers and the events are real and QEMU is not.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { until } from '../support/daemon.ts';
import { type HeldImageBuild, heldImageBuild } from '../support/fake-image-build.ts';
import { FakeVmDriver, fakeImage } from '../support/fake-vm-driver.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const skip = skipReason();

describe('first run in Chromium against a real daemon', { skip: skip ?? false }, () => {
  const driver = new FakeVmDriver({ boot: () => 'hang' });
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let workspace: { dir: string; dispose: () => void };

  before(async () => {
    d = await startUiDaemon({ daemon: { vmDriver: driver } });
    fakeImage(d.daemon.images.dir);
    workspace = makeTempDir('warden-first-run-ws-');
    browser = await launchChromium();
    ({ page, errors } = await openUi(browser, d.openUrl));
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
    workspace?.dispose();
  });

  test('with nothing running, the app shows the guide instead of an empty table', async () => {
    await page.locator('h1', { hasText: 'Start your first sandbox' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('.activity-table').count(), 0);
    // Start stays disabled until a preset and a workspace are chosen, and says what is missing.
    await page.locator('.preset-choice').first().waitFor();
    assert.ok(await page.getByRole('button', { name: 'Start the sandbox' }).isDisabled());
    assert.match(
      (await page.locator('.first-run-actions .hint').textContent()) ?? '',
      /a preset, a workspace folder/,
    );
  });

  test('choosing a preset shows the policy it will apply before anything starts', async () => {
    await page.locator('.preset-choice', { hasText: 'node' }).click();
    const yaml = page.locator('.preset-yaml');
    await yaml.waitFor();
    assert.match((await yaml.textContent()) ?? '', /registry\.npmjs\.org/);
    assert.match(
      (await page.locator('.policy-preview').textContent()) ?? '',
      /anything no rule names: (ask|deny|allow)/,
    );
    await page.locator('input[name=workspace]').fill(workspace.dir);
    assert.equal((await d.client.call('GET /v1/sandboxes')).length, 0, 'nothing started yet');
    await screenshot(page, 'first-run');
  });

  test('Start creates a real sandbox through the API and shows its boot as progress', async () => {
    await page.getByRole('button', { name: 'Start the sandbox' }).click();
    // The boot is held: the guide shows the VM booting, with time so far.
    await page.locator('.first-run-steps li.current[data-state=STARTING]').waitFor({ timeout: 10_000 });
    assert.match((await page.locator('.first-run-steps').textContent()) ?? '', /Booting the VM/);
    await screenshot(page, 'first-run-booting');
    const vm = await until('the VM to be created', () => driver.vms[0]);
    vm.finishBoot();
    await page.locator('.first-run-done').waitFor({ timeout: 10_000 });
    const [sandbox] = await d.client.call('GET /v1/sandboxes');
    assert.ok(sandbox && sandbox.kind === 'vm', JSON.stringify(sandbox));
    assert.equal(sandbox.label, 'first-sandbox');
    assert.equal(sandbox.workspace?.hostPath, workspace.dir);
    assert.match((await page.locator('.first-run-done').textContent()) ?? '', new RegExp(sandbox.sandboxId));
    // The preset is one of its policy layers.
    const policy = await d.client.call('GET /v1/policy', { query: { sandbox: sandbox.sandboxId } });
    assert.ok(
      policy.layers.some((l) => l.layer === 'preset' && /node\.yaml$/.test(l.source)),
      JSON.stringify(policy.layers),
    );
    assert.ok(await page.locator('.first-run-steps li[data-state=RUNNING]').count());
    await screenshot(page, 'first-run-running');
    await page.locator('.first-run-done').getByRole('button', { name: 'Show the activity' }).click();
    await page.locator('h1', { hasText: 'Activity' }).waitFor();
  });

  test('the page logged no errors', () => {
    const real = errors.filter((e) => !/frame-ancestors' is ignored/.test(e));
    assert.deepEqual(real, []);
  });
});

describe('first run with no VM image yet: Start builds it, with its progress at the top', {
  skip: skip ?? false,
}, () => {
  const driver = new FakeVmDriver({ boot: () => 'ok' });
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let workspace: { dir: string; dispose: () => void };
  let scratch: { dir: string; dispose: () => void };
  let build: HeldImageBuild;

  before(async () => {
    scratch = makeTempDir('warden-first-run-build-');
    build = heldImageBuild(scratch.dir);
    d = await startUiDaemon({ daemon: { vmDriver: driver, poolSize: 0, imageBuildCommand: build.command } });
    workspace = makeTempDir('warden-first-run-ws-');
    browser = await launchChromium();
    ({ page, errors } = await openUi(browser, d.openUrl));
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
    workspace?.dispose();
    scratch?.dispose();
  });

  test('Start is allowed without an image and the build shows as a step and a task', async () => {
    await page.locator('h1', { hasText: 'Start your first sandbox' }).waitFor({ timeout: 10_000 });
    await page
      .locator('.first-run-form .hint', { hasText: 'No VM image yet: Start builds one first' })
      .waitFor();
    await page.locator('.preset-choice', { hasText: 'node' }).click();
    await page.locator('input[name=workspace]').fill(workspace.dir);
    assert.equal(await page.getByRole('button', { name: 'Start the sandbox' }).isDisabled(), false);
    await page.getByRole('button', { name: 'Start the sandbox' }).click();
    await page.locator('.first-run-steps li.current[data-state=IMAGE]').waitFor({ timeout: 10_000 });
    const task = page.locator('section.tasks li.task.running');
    await task.locator('.task-step', { hasText: 'downloading the kernel' }).waitFor();
    assert.equal(await task.getByRole('button', { name: 'Cancel' }).count(), 1);
    await screenshot(page, 'first-run-building-image');
    build.release();
    await page.locator('.first-run-done').waitFor({ timeout: 15_000 });
    assert.ok(await page.locator('.first-run-steps li[data-state=RUNNING]').count());
    await page.locator('section.tasks li.task.done', { hasText: 'Building' }).waitFor();
    // The VM's cold boot that followed is long work too.
    await page.locator('section.tasks li.task.done', { hasText: 'Starting sandbox' }).waitFor();
    assert.equal((await d.client.call('GET /v1/images')).length, 1, 'the image was built by the daemon');
    const real = errors.filter((e) => !/frame-ancestors' is ignored/.test(e));
    assert.deepEqual(real, []);
  });
});
