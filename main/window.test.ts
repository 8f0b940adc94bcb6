import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FakeElectron } from '../test/support/fake-electron.ts';
import type { Clock } from './daemon-supervisor.ts';
import { CONTENT_SECURITY_POLICY, createMainWindow, secureWindowOptions } from './window.ts';
import { DEFAULT_SIZE, validateWindowState, WindowStateStore } from './window-state.ts';

const manualClock = () => {
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const clock: Clock = {
    now: () => 0,
    setTimeout: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return t;
    },
    clearTimeout: (h) => {
      const i = timers.indexOf(h as (typeof timers)[number]);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  return {
    clock,
    timers,
    fire: () => {
      for (const t of timers.splice(0)) t.fn();
    },
  };
};

async function withHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'warden-win-'));
  try {
    return await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

test('window options are the secure ones', () => {
  const o = secureWindowOptions('/p/preload.cjs');
  assert.deepEqual(
    {
      contextIsolation: o.webPreferences?.contextIsolation,
      sandbox: o.webPreferences?.sandbox,
      nodeIntegration: o.webPreferences?.nodeIntegration,
      nodeIntegrationInSubFrames: o.webPreferences?.nodeIntegrationInSubFrames,
      nodeIntegrationInWorker: o.webPreferences?.nodeIntegrationInWorker,
      webSecurity: o.webPreferences?.webSecurity,
      allowRunningInsecureContent: o.webPreferences?.allowRunningInsecureContent,
      webviewTag: o.webPreferences?.webviewTag,
      devTools: o.webPreferences?.devTools,
      preload: o.webPreferences?.preload,
    },
    {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
      preload: '/p/preload.cjs',
    },
  );
});

test('the window loads the local renderer, with CSP, navigation, new windows, permissions and remote requests denied', async () => {
  await withHome(async (home) => {
    const electron = new FakeElectron();
    const win = createMainWindow(electron, {
      preloadPath: '/p/preload.cjs',
      indexHtml: '/app/dist/renderer/index.html',
      state: new WindowStateStore(home),
    });
    const fake = electron.windows[0]!;
    assert.equal(win, fake);
    assert.equal(fake.loaded, '/app/dist/renderer/index.html');
    assert.equal(fake.options.webPreferences?.sandbox, true);
    const wc = fake.webContents;

    let prevented = false;
    wc.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://evil.example/');
    assert.ok(prevented, 'navigation prevented');
    let webview = false;
    wc.emit('will-attach-webview', { preventDefault: () => (webview = true) });
    assert.ok(webview, 'webviews prevented');
    assert.deepEqual(wc.openHandler?.({ url: 'https://evil.example/' }), { action: 'deny' });

    let headers: Record<string, string[] | string> | undefined;
    wc.headersListener?.(
      {
        url: 'file:///app/dist/renderer/index.html',
        resourceType: 'mainFrame',
        responseHeaders: { 'content-security-policy': ['default-src *'], 'x-other': ['1'] },
      },
      (r) => {
        headers = r.responseHeaders;
      },
    );
    assert.deepEqual(headers, { 'x-other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
    assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-eval/);

    const cancelled = (url: string) => {
      let c: boolean | undefined;
      wc.requestListener?.({ url }, (r) => {
        c = r.cancel;
      });
      return c;
    };
    assert.equal(cancelled('https://cdn.example/x.js'), true);
    assert.equal(cancelled('http://127.0.0.1:8080/v1/status'), true);
    assert.equal(cancelled('ws://127.0.0.1/'), true);
    assert.equal(cancelled('file:///app/dist/renderer/app.js'), false);
    assert.equal(cancelled('data:image/png;base64,AAAA'), false);

    let granted: boolean | undefined;
    wc.permissionHandler?.(wc, 'media', (g) => {
      granted = g;
    });
    assert.equal(granted, false);

    assert.equal(fake.shown, 0, 'shown only when ready');
    fake.emit('ready-to-show');
    assert.equal(fake.shown, 1);
  });
});

test('window state: remembered, debounced, restored; off-screen or corrupt files give defaults', async () => {
  await withHome(async (home) => {
    const { clock, timers, fire } = manualClock();
    const store = new WindowStateStore(home, { clock, delayMs: 500 });
    const electron = new FakeElectron();
    createMainWindow(electron, { preloadPath: 'p', indexHtml: 'i', state: store });
    const win = electron.windows[0]!;
    assert.equal(win.options.width, DEFAULT_SIZE.width, 'first run uses defaults');
    win.bounds = { x: 100, y: 80, width: 1000, height: 700 };
    win.emit('move');
    win.emit('resize');
    win.emit('resize');
    assert.equal(timers.length, 1, 'one pending write');
    fire();
    const saved = JSON.parse(await readFile(store.file, 'utf8'));
    assert.deepEqual(saved, { bounds: { x: 100, y: 80, width: 1000, height: 700 }, maximized: false });
    win.maximized = true;
    win.emit('maximize');
    win.close(); // flushes
    assert.equal(JSON.parse(await readFile(store.file, 'utf8')).maximized, true);

    const again = new FakeElectron();
    createMainWindow(again, { preloadPath: 'p', indexHtml: 'i', state: new WindowStateStore(home) });
    assert.equal(again.windows[0]!.options.x, 100);
    assert.equal(again.windows[0]!.options.width, 1000);
    assert.equal(again.windows[0]!.maximized, true);

    const screens = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    await writeFile(store.file, '{not json');
    assert.equal(new WindowStateStore(home).load(screens), undefined);
    assert.equal(
      validateWindowState({ bounds: { x: 5000, y: 0, width: 900, height: 700 }, maximized: false }, screens),
      undefined,
    );
    assert.equal(
      validateWindowState({ bounds: { x: 10, y: -900, width: 900, height: 700 }, maximized: false }, screens),
      undefined,
    );
    assert.equal(
      validateWindowState({ bounds: { x: 10, y: 10, width: 50, height: 700 }, maximized: false }, screens),
      undefined,
    );
    assert.equal(
      validateWindowState({ bounds: { x: 10, y: 10, width: 900, height: 700 }, maximized: 'yes' }, screens),
      undefined,
    );
    assert.equal(
      validateWindowState({ bounds: { x: 1.5, y: 10, width: 900, height: 700 }, maximized: false }, screens),
      undefined,
    );
    assert.deepEqual(
      validateWindowState({ bounds: { x: 2000, y: 10, width: 900, height: 700 }, maximized: false }, [
        ...screens,
        { x: 1920, y: 0, width: 1280, height: 1024 },
      ])?.bounds.x,
      2000,
      'a second display counts',
    );
  });
});
