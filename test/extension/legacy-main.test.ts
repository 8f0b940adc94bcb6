// The legacy package's main side (Freelens 1 and OpenLens), loaded as those hosts load it
// (a CommonJS require, LensExtensions and Mobx as globals: test/support/freelens-host.ts),
// against a real daemon: the tray item follows the pending count, a native notification
// comes with each new approval and goes with it, and none while the Warden desktop app runs
// unless asked for. Electron cannot run here: `electron` is a stand-in module that follows
// electron.Notification's API (constructor, show, close, on('click'), isSupported).

import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, type TestContext, test } from 'node:test';
import { buildLegacyPackage } from '../../extension/build.mjs';
import type { AnswerResult, NotificationsResult, Snapshot } from '../../extension/src/common/ipc.ts';
import { WARDEN_IPC } from '../../extension/src/common/ipc.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, until } from '../support/daemon.ts';
import { type LoadedExtension, loadFreelensExtension, type MainHost } from '../support/freelens-host.ts';
import { makeTempDir, tempDir } from '../support/temp-dir.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const built = makeTempDir('warden-lens-legacy-');
const pkg = path.join(built.dir, 'legacy');
let up: Upstreams;

interface Shown {
  title: string;
  body: string;
  shown: boolean;
  closed: boolean;
  click?: () => void;
}
const notifications = (): Shown[] =>
  (globalThis as { __electronNotifications?: Shown[] }).__electronNotifications ?? [];

const ELECTRON_STAND_IN = `
class Notification {
  static isSupported() { return true; }
  constructor(o) { this.record = { title: o.title, body: o.body, shown: false, closed: false }; this.listeners = {}; }
  show() { this.record.shown = true; (globalThis.__electronNotifications ??= []).push(this.record); }
  close() { this.record.closed = true; }
  on(event, fn) { this.listeners[event] = fn; if (event === 'click') this.record.click = fn; return this; }
}
module.exports = { Notification };
`;

before(async () => {
  await buildLegacyPackage({ outdir: pkg });
  mkdirSync(path.join(pkg, 'node_modules', 'electron'), { recursive: true });
  writeFileSync(path.join(pkg, 'node_modules', 'electron', 'index.js'), ELECTRON_STAND_IN);
  up = await startUpstreams();
});
after(async () => {
  await up.close();
  built.dispose();
});

const ASK = policyYaml('- match: 127.0.0.1\n  action: ask');

async function load(t: TestContext, home: string, host: MainHost, config: string): Promise<LoadedExtension> {
  process.env.WARDEN_HOME = home;
  process.env.XDG_CONFIG_HOME = config;
  (globalThis as { __electronNotifications?: Shown[] }).__electronNotifications = [];
  const ext = await loadFreelensExtension(pkg, { host });
  t.after(() => ext.deactivate());
  return ext;
}

const snapshot = async (ext: LoadedExtension) => (await ext.invoke(WARDEN_IPC.snapshot)) as Snapshot;

for (const host of ['freelens1', 'lens'] as const) {
  test(`${host}: the tray says "Warden: N pending" and a notification comes and goes with the approval`, async (t) => {
    const d = await startTestDaemon({ label: 'legacy' });
    t.after(() => d.stop());
    const ext = await load(t, d.home, host, tempDir(t, 'warden-xdg-'));
    assert.deepEqual(ext.trayLabels(), ['Warden: not connected']);
    await until('connected', async () => (await snapshot(ext)).connection.kind === 'connected', 15_000);
    assert.deepEqual(ext.trayLabels(), ['Warden: 0 pending']);
    const s = await snapshot(ext);
    assert.deepEqual(s.notifications, {
      pref: 'auto',
      desktopAppRunning: false,
      supported: true,
      active: true,
    });

    const { env, listener } = await d.listener(ASK);
    const held = curl(env, [`http://127.0.0.1:${up.httpPort}/legacy-held`]);
    const approval = await until(
      'the approval',
      async () => (await snapshot(ext)).approvals.find((a) => a.path === '/legacy-held'),
      10_000,
    );
    assert.deepEqual(ext.trayLabels(), ['Warden: 1 pending']);
    await until('the notification', () => notifications().length === 1);
    const n = notifications()[0]!;
    assert.equal(n.shown, true);
    assert.match(n.title, new RegExp(`${listener.sandboxId} wants to reach 127\\.0\\.0\\.1`));
    assert.match(n.body, /GET http:\/\/127\.0\.0\.1:\d+\/legacy-held/);
    n.click?.();
    assert.deepEqual(ext.navigations, ['agents'], 'a click shows the Agents page');
    assert.equal(
      ext.broadcasts.find((b) => b.channel === WARDEN_IPC.focus)?.args[0],
      approval.id,
      'and tells the renderer which card',
    );

    const answer = (await ext.invoke(WARDEN_IPC.answer, approval.id, {
      decision: 'allow',
      scope: 'once',
    })) as AnswerResult;
    assert.equal(answer.ok, true);
    assert.equal((await held).status, 200);
    assert.deepEqual(ext.trayLabels(), ['Warden: 0 pending']);
    assert.equal(n.closed, true, 'the notification went with the approval');
  });
}

test('while the desktop app runs, auto shows no notification; "on" does', async (t) => {
  const d = await startTestDaemon({ label: 'legacy' });
  t.after(() => d.stop());
  const config = tempDir(t, 'warden-xdg-');
  mkdirSync(path.join(config, 'Warden'));
  // Electron's single-instance lock: a symlink to host-pid, this (live) process's pid.
  symlinkSync(`testhost-${process.pid}`, path.join(config, 'Warden', 'SingletonLock'));
  const ext = await load(t, d.home, 'freelens1', config);
  await until('connected', async () => (await snapshot(ext)).connection.kind === 'connected', 15_000);
  assert.deepEqual((await snapshot(ext)).notifications, {
    pref: 'auto',
    desktopAppRunning: true,
    supported: true,
    active: false,
  });
  const { env } = await d.listener(ASK);
  const first = curl(env, [`http://127.0.0.1:${up.httpPort}/quiet`]);
  const quiet = await until(
    'held',
    async () => (await snapshot(ext)).approvals.find((a) => a.path === '/quiet'),
    10_000,
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(notifications().length, 0, 'the desktop app notifies; the extension does not');

  const set = (await ext.invoke(WARDEN_IPC.setNotifications, 'on')) as NotificationsResult;
  assert.equal(set.ok && set.notifications.active, true);
  const refused = (await ext.invoke(WARDEN_IPC.setNotifications, 'loud')) as NotificationsResult;
  assert.equal(refused.ok, false);
  const second = curl(env, [`http://127.0.0.1:${up.httpPort}/loud`]);
  await until('the notification', () => notifications().some((n) => n.body.includes('/loud')), 10_000);
  assert.equal(notifications().length, 1);
  for (const a of (await snapshot(ext)).approvals)
    await ext.invoke(WARDEN_IPC.answer, a.id, { decision: 'deny', scope: 'once' });
  await Promise.all([first, second]);
  assert.ok(quiet);
});
