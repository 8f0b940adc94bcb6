// The embedded terminal end to end in browser mode: Debian's Chromium on the bundle the
// daemon serves, a real daemon, a real QEMU guest (TCG here). The Sandboxes view opens a
// terminal on the sandbox's shell over the daemon's WebSocket, a command typed into
// xterm.js runs in the guest, the PTY follows the panel's size, and stopping the sandbox
// ends the session cleanly. The view with the terminal is saved to test-artifacts/screenshots/.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { bootSandbox, buildTestImage, linkImage } from '../vm/image.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

function vmSkipReason(): string | null {
  const qemu = (process.env.PATH ?? '')
    .split(':')
    .some((d) => existsSync(path.join(d, 'qemu-system-x86_64')));
  return qemu ? null : 'no qemu-system-x86_64 on PATH';
}

const skip = skipReason() ?? vmSkipReason();

describe('the embedded terminal on a real sandbox (browser mode)', {
  skip: skip ?? false,
  timeout: 300_000,
}, () => {
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let sandboxId: string;
  const panel = () => page.locator('.terminal-panel');
  /** The terminal's screen, one line per row (xterm.js renders rows as elements). */
  const screenText = () =>
    page.evaluate(() =>
      Array.from(document.querySelectorAll('.terminal-panel .xterm-rows > *'))
        .map((row) => (row.textContent ?? '').replace(/\u00a0/g, ' '))
        .join('\n'),
    );

  before(async () => {
    const built = await buildTestImage();
    d = await startUiDaemon({ daemon: { accel: 'tcg' } });
    linkImage(d.home, built.image);
    const t = Date.now();
    sandboxId = await bootSandbox(d, 'term', built.image);
    process.stderr.write(`sandbox ${sandboxId} running after ${Date.now() - t} ms\n`);
    browser = await launchChromium();
    ({ page, errors } = await openUi(browser, d.openUrl));
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  test('Terminal opens a shell; typed input runs in the guest and its output shows', async () => {
    await page.locator('body').press('4');
    await page.locator('h1', { hasText: 'Sandboxes' }).waitFor();
    const row = page.locator('table.list tr', { hasText: sandboxId });
    await row.locator('.state-pill', { hasText: 'RUNNING' }).waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'Terminal' }).click();
    await panel().locator('.term-state', { hasText: 'connected' }).waitFor({ timeout: 30_000 });
    // The shell's prompt arrives, then the command typed into xterm.js runs in the guest.
    await page.waitForFunction(
      () => (document.querySelector('.terminal-panel .xterm-rows')?.textContent ?? '').trim().length > 0,
      undefined,
      { timeout: 30_000 },
    );
    await page.locator('.terminal-panel .xterm-helper-textarea').focus();
    await page.keyboard.type('echo hi-from-term');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () =>
        (document.querySelector('.terminal-panel .xterm-rows')?.textContent ?? '')
          .replace(/\u00a0/g, ' ')
          .split('hi-from-term').length >= 3,
      undefined,
      { timeout: 30_000 },
    );
    const text = await screenText();
    assert.match(text, /echo hi-from-term/, 'the command is echoed');
    assert.match(text, /^hi-from-term\s*$/m, 'its output is on a line of its own');
    await screenshot(page, 'sandboxes-terminal');
  });

  test('the PTY follows the panel size', async () => {
    const host = page.locator('.terminal-panel .terminal-host');
    await host.evaluate((el) => {
      (el as HTMLElement).style.height = '200px';
    });
    // stty reports "rows cols" of the PTY: the terminal's new size reached the shell.
    await page.waitForTimeout(300);
    const textarea = page.locator('.terminal-panel .xterm-helper-textarea');
    await textarea.focus();
    await page.keyboard.type('stty size | sed s/^/size:/');
    await page.keyboard.press('Enter');
    const size = await page.waitForFunction(
      () => {
        const m = /size:(\d+) (\d+)/.exec(
          (document.querySelector('.terminal-panel .xterm-rows')?.textContent ?? '').replace(/\u00a0/g, ' '),
        );
        return m ? { rows: Number(m[1]), cols: Number(m[2]) } : null;
      },
      undefined,
      { timeout: 20_000 },
    );
    const { rows, cols } = (await size.jsonValue()) as { rows: number; cols: number };
    assert.ok(
      rows >= 5 && rows <= 14,
      `a 200 px panel holds about 11 rows of 13 px text, the PTY has ${rows}`,
    );
    assert.ok(cols >= 80, `the panel is wide, the PTY has ${cols} columns`);
  });

  test('exit ends the session with a line saying so; Close removes the panel', async () => {
    await page.locator('.terminal-panel .xterm-helper-textarea').focus();
    await page.keyboard.type('exit 3');
    await page.keyboard.press('Enter');
    await panel()
      .locator('.term-state', { hasText: 'shell exited with code 3' })
      .waitFor({ timeout: 20_000 });
    await panel().getByRole('button', { name: 'Close' }).click();
    await panel().waitFor({ state: 'detached' });
  });

  test('the CPU and memory of the VM (its QEMU process) show as sparklines in its row', async () => {
    const load = page.locator(`.load[data-sandbox="${sandboxId}"]`);
    const cpu = load.locator('.sparkline[data-label=CPU] .spark-text');
    const memory = load.locator('.sparkline[data-label=Memory] .spark-text');
    await memory.waitFor({ timeout: 15_000 });
    assert.match((await cpu.textContent()) ?? '', /^CPU \d+%$/);
    // QEMU's resident memory (at least a few MiB, at most what a microVM plus QEMU can hold),
    // and what the guest itself says it uses, of what its kernel manages.
    await load.locator('.sparkline[data-label=Memory] .spark-text', { hasText: 'guest uses' }).waitFor();
    const text = (await memory.textContent()) ?? '';
    const m = /^(\d+) MiB \(guest uses (\d+) of (\d+)\)$/.exec(text);
    assert.ok(m, text);
    const [mib, guest, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
    assert.ok(mib >= 8 && mib < 8192, `${mib} MiB`);
    assert.ok(guest > 0 && guest < total && total <= 8192, text);
    assert.ok(await load.locator('.sparkline[data-label=CPU] canvas').count());
    await screenshot(page, 'sandboxes-vm-load');
  });

  test('stopping the sandbox ends an open terminal cleanly', async () => {
    const row = page.locator('table.list tr', { hasText: sandboxId });
    await row.getByRole('button', { name: 'Terminal' }).click();
    await panel().locator('.term-state', { hasText: 'connected' }).waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'Stop' }).click();
    await panel()
      .locator('.term-state', { hasText: /session ended|shell ended|exited/ })
      .waitFor({ timeout: 30_000 });
    await panel().getByRole('button', { name: 'Close' }).click();
  });

  test('the page logged no errors', async () => {
    const real = errors.filter((e) => !/frame-ancestors' is ignored/.test(e));
    assert.deepEqual(real, []);
  });
});
