// Launches the real Electron app with Playwright when this machine has Electron's binary
// (it cannot be downloaded on the CI machines, so there the test is skipped with the reason).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

function electronBinary(): { path?: string; reason?: string } {
  try {
    const p = require('electron') as string;
    return existsSync(p) ? { path: p } : { reason: `no Electron binary at ${p}` };
  } catch (error) {
    return { reason: `the Electron binary is not installed (${(error as Error).message.split('\n')[0]})` };
  }
}

const electron = electronBinary();
const bundle = path.join(root, 'dist/main/index.cjs');
const skip =
  electron.reason ?? (existsSync(bundle) ? false : 'dist/main/index.cjs is not built (npm run build)');

test('Electron smoke: the window opens sandboxed, window.warden has the bridge and no Node', {
  skip,
  timeout: 90_000,
}, async () => {
  const { _electron } = await import('playwright-core');
  const home = await mkdtemp(path.join(os.tmpdir(), 'warden-electron-'));
  const app = await _electron.launch({
    executablePath: electron.path!,
    args: [bundle, '--no-sandbox'],
    env: { ...process.env, WARDEN_HOME: home, WARDEN_POOL_SIZE: '0' },
  });
  try {
    const page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
    const probe = await page.evaluate(() => ({
      bridge: typeof (window as unknown as { warden?: Record<string, unknown> }).warden?.status,
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }));
    assert.deepEqual(probe, { bridge: 'function', require: 'undefined', process: 'undefined' });
    const status = await page.evaluate(async () => {
      const w = (window as unknown as { warden: { status(): Promise<{ pid: number }> } }).warden;
      for (let i = 0; i < 100; i++) {
        try {
          return await w.status();
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      throw new Error('the daemon never answered through the bridge');
    });
    assert.equal(typeof status.pid, 'number');
    // Navigation away from the app is blocked: the page stays on its file: URL.
    await page.evaluate(() => {
      window.location.href = 'https://example.com/';
    });
    await new Promise((r) => setTimeout(r, 500));
    assert.match(page.url(), /^file:/);
  } finally {
    await app.close();
    // The daemon outlives the window by design; stop the one this test started.
    try {
      const pid = Number((await import('node:fs')).readFileSync(path.join(home, 'daemon.pid'), 'utf8'));
      if (pid) process.kill(pid, 'SIGTERM');
    } catch {}
    await rm(home, { recursive: true, force: true });
  }
});
