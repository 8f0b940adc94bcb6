// Long work in the desktop app, in Debian's Chromium against a real daemon: a sandbox whose
// image is missing makes the daemon build it (a stand-in for `warden image build` that
// prints steps and runs a long tool); the strip under the header shows the build with its
// step, an indeterminate bar and Cancel; Cancel stops it and the row says "cancelled".

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { until } from '../support/daemon.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const SLOW_BUILD = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
process.stderr.write('image: downloading the kernel\\nimage: making the root filesystem\\n');
const tool = spawn('sleep', ['120'], { stdio: 'ignore' });
fs.writeFileSync(process.argv[2], String(tool.pid));
tool.on('exit', () => process.exit(3));
`;

const skip = skipReason();
let browser: Browser;
let d: UiDaemon;
let dir: string;
let pidFile: string;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 'wtasks-ui-'));
  writeFileSync(path.join(dir, 'slow-build.cjs'), SLOW_BUILD);
  pidFile = path.join(dir, 'tool.pid');
  d = await startUiDaemon({
    daemon: {
      poolSize: 0,
      imageBuildCommand: () => [process.execPath, path.join(dir, 'slow-build.cjs'), pidFile],
    },
  });
  browser = await launchChromium();
});
after(async () => {
  if (skip) return;
  await browser.close();
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a build shows under the header with its step, and Cancel stops it', {
  skip: skip ?? false,
}, async () => {
  const { page, errors } = await openUi(browser, d.openUrl);
  await page.locator('.conn.open').waitFor();
  assert.equal(await page.locator('section.tasks').count(), 0, 'no strip without long work');
  const create = d.client
    .call('POST /v1/sandboxes', { body: { label: 'needs-an-image' } })
    .catch((e: Error) => e);
  await until('the build runs its tool', () => existsSync(pidFile), 15_000);
  const row = page.locator('section.tasks li.task.running');
  await row.waitFor();
  await row.locator('.task-step', { hasText: 'making the root filesystem' }).waitFor();
  assert.equal(await row.locator('.task-title').textContent(), 'Building the minimal guest image');
  assert.equal(await row.locator('progress').getAttribute('value'), null, 'indeterminate: no total is known');
  await screenshot(page, 'tasks-image-build-running');
  await row.getByRole('button', { name: 'Cancel' }).click();
  const ended = page.locator('section.tasks li.task.cancelled');
  await ended.waitFor();
  assert.match((await ended.textContent()) ?? '', /cancelled after \d+ s/);
  const error = await create;
  assert.match(String(error), /cancelled by a user/);
  await screenshot(page, 'tasks-image-build-cancelled');
  await ended.getByRole('button', { name: /Close: Building/ }).click();
  await page.locator('section.tasks').waitFor({ state: 'detached' });
  assert.deepEqual(
    errors.filter((e) => !/frame-ancestors' is ignored/.test(e)),
    [],
  );
});
