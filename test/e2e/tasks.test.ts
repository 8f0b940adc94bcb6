// Long work in the desktop app, in Debian's Chromium against a real daemon: a sandbox whose
// image is missing makes the daemon build it (a stand-in for `warden image build` that
// prints steps and runs a long tool); the strip under the header shows the build with its
// step, an indeterminate bar and Cancel; Cancel stops it and the row says "cancelled".
// The Audit view's "Verify now" and "Export…" run as tasks shown in the same strip; the
// verify's result lands on the chain badge (ok, then the first broken seq once a record
// is edited), the export names its file.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import type { Browser } from 'playwright-core';
import { AuditStore } from '../../supervisor/audit/index.ts';
import { requestEvent, TEST_DEVICE } from '../support/audit/samples.ts';
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

const RECORDS = 3000;
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
  // An audit trail of some length, so the verify has records to count and one to break.
  const home = path.join(dir, 'home');
  mkdirSync(home, { mode: 0o700 });
  const store = AuditStore.open(path.join(home, 'audit.db'), { device: TEST_DEVICE, durability: 'normal' });
  store.appendBatch(Array.from({ length: RECORDS }, (_, i) => requestEvent(i)));
  store.close();
  d = await startUiDaemon({
    home,
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

test('Audit: Verify now runs as a task in the strip and puts its result on the badge; Export… names its file', {
  skip: skip ?? false,
}, async () => {
  // The open URL is good once: the first test used it.
  const ui = await d.client.call('POST /v1/ui');
  const { page, errors } = await openUi(browser, ui.openUrl);
  await page.locator('body').press('6');
  await page.locator('h1', { hasText: 'Audit' }).waitFor();
  await page.getByRole('button', { name: 'Verify now' }).click();
  const row = page.locator('section.tasks li.task', { hasText: 'Verifying the audit chain' });
  await row.waitFor({ timeout: 30_000 });
  const ok = page.locator('.chain-badge.ok', { hasText: 'Chain verified' });
  await ok.waitFor({ timeout: 60_000 });
  await page.locator('section.tasks li.task.done', { hasText: 'Verifying the audit chain' }).waitFor();
  const tasks = await d.client.call('GET /v1/tasks');
  const verify = tasks.find((t) => t.kind === 'audit.verify');
  assert.equal(verify?.state, 'done');
  assert.equal(verify?.progress?.done, verify?.progress?.total);
  assert.ok((verify?.progress?.total ?? 0) > RECORDS, "the seeded records and the daemon's own");
  assert.match(
    (await ok.textContent()) ?? '',
    new RegExp(`Chain verified: ${verify?.progress?.total?.toLocaleString('en-US')} records`),
  );
  await screenshot(page, 'audit-verify-now-ok');

  await page.getByRole('button', { name: 'Export…' }).click();
  await page.locator('.export-form select').selectOption('jsonl');
  await page.getByRole('button', { name: 'Start export' }).click();
  const done = page.locator('.export-done', { hasText: 'Exported' });
  await done.waitFor({ timeout: 60_000 });
  const file = (await done.locator('code').textContent()) ?? '';
  assert.ok(file.startsWith(path.join(d.home, 'exports')), file);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.match(
    (await done.textContent()) ?? '',
    new RegExp(`Exported ${lines.length.toLocaleString('en-US')} records`),
  );
  await page
    .locator('section.tasks li.task.done', { hasText: 'Exporting the audit trail (jsonl)' })
    .waitFor();

  // An edited record: the next Verify now names it on the badge.
  const db = new Database(path.join(d.home, 'audit.db'));
  db.pragma('busy_timeout = 5000');
  db.prepare("UPDATE records SET user = 'mallory' WHERE seq = 2").run();
  db.close();
  await page.getByRole('button', { name: 'Verify now' }).click();
  const broken = page.locator('.chain-badge.broken', { hasText: 'Chain BROKEN at record 2' });
  await broken.waitFor({ timeout: 60_000 });
  await screenshot(page, 'audit-verify-now-broken');
  assert.deepEqual(
    errors.filter((e) => !/frame-ancestors' is ignored/.test(e)),
    [],
  );
});
