import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FOCUS_APPROVAL_CHANNEL } from '../supervisor/api/bridge.ts';
import type { ApprovalView, WardenEvent } from '../supervisor/api/events.ts';
import { wardenPaths } from '../supervisor/home/index.ts';
import { click, FakeElectron } from '../test/support/fake-electron.ts';
import { DesktopApp, stopAllAgents } from './app.ts';
import { type DaemonApi, DaemonState, DaemonSupervisor } from './daemon-supervisor.ts';
import { ApprovalNotifier } from './notifications.ts';
import { PendingApprovals } from './pending-approvals.ts';
import { TrayController, trayToolTip } from './tray.ts';

const approval = (id: string): ApprovalView => ({
  id,
  sandboxId: 'sb-1',
  user: 'me',
  createdAt: '2026-01-01T00:00:00Z',
  expiresAt: '2026-01-01T00:01:00Z',
  method: 'POST',
  scheme: 'https',
  host: 'api.example.com',
  port: 443,
  path: '/v1/things',
  reason: 'no rule matches api.example.com',
  rule: null,
  suggestedRule: { match: 'api.example.com' },
  waiting: 1,
});
const pendingEvent = (id: string): WardenEvent => ({
  type: 'approval.pending',
  time: '',
  sandboxId: 'sb-1',
  user: 'me',
  approval: approval(id),
});
const answered = (id: string): WardenEvent => ({
  type: 'approval.answered',
  time: '',
  sandboxId: 'sb-1',
  user: 'me',
  approvalId: id,
  decision: 'allow',
  scope: 'once',
  by: 'me',
  method: 'POST',
  host: 'api.example.com',
  path: '/',
});

test('tray tooltip, title, menu and badge follow the pending approvals', () => {
  const electron = new FakeElectron();
  const pending = new PendingApprovals();
  const actions = {
    open: () => {},
    openApprovals: () => {},
    stopAllAndQuit: () => {},
    quitWindowOnly: () => {},
  };
  new TrayController(electron, '/assets/tray.png', pending, actions);
  const tray = electron.trays[0]!;
  assert.equal(tray.toolTip, 'Warden — no pending approvals');
  pending.apply(pendingEvent('a1'));
  pending.apply(pendingEvent('a2'));
  pending.apply(pendingEvent('a2')); // repeated: still two
  assert.equal(tray.toolTip, 'Warden — 2 pending approvals');
  assert.equal(tray.title, '2');
  assert.equal(electron.app.badge, 2);
  assert.ok(tray.menu?.some((i) => i.label === 'Pending approvals (2)'));
  pending.apply(answered('a1'));
  assert.equal(tray.toolTip, 'Warden — 1 pending approval');
  pending.apply({
    type: 'approval.expired',
    time: '',
    sandboxId: 's',
    user: 'u',
    approvalId: 'a2',
    method: 'GET',
    host: 'h',
    path: '/',
    timeoutSeconds: 60,
  });
  assert.equal(tray.toolTip, 'Warden — no pending approvals');
  assert.equal(tray.title, '');
  assert.equal(electron.app.badge, 0);
  assert.deepEqual(
    tray.menu?.map((i) => i.label ?? i.type),
    [
      'Open Warden',
      'No pending approvals',
      'separator',
      'Stop all agents and quit',
      'Quit window only (agents keep running)',
    ],
  );
  assert.equal(trayToolTip(3, 'ERROR'), 'Warden — daemon error');
});

test('one notification per new approval; clicking it focuses the card; answering closes it', () => {
  const electron = new FakeElectron();
  const clicked: string[] = [];
  const notifier = new ApprovalNotifier(electron, (id) => clicked.push(id));
  notifier.handle(pendingEvent('a1'));
  notifier.handle(pendingEvent('a1'));
  notifier.handle(pendingEvent('a2'));
  assert.equal(electron.notifications.length, 2);
  assert.ok(electron.notifications.every((n) => n.shown));
  assert.equal(electron.notifications[0]!.options.title, 'sb-1 wants to reach api.example.com');
  assert.match(electron.notifications[0]!.options.body ?? '', /POST https:\/\/api\.example\.com\/v1\/things/);
  electron.notifications[1]!.emit('click');
  assert.deepEqual(clicked, ['a2']);
  notifier.handle(answered('a1'));
  assert.equal(electron.notifications[0]!.closed, true);
  notifier.handle(pendingEvent('a1'));
  assert.equal(electron.notifications.length, 2, 'never twice for one approval');
});

test('a cancelled approval (its sandbox removed) leaves the tray count and closes its notification', () => {
  const electron = new FakeElectron();
  const pending = new PendingApprovals();
  const notifier = new ApprovalNotifier(electron, () => {});
  const cancelled: WardenEvent = {
    type: 'approval.cancelled',
    time: '',
    sandboxId: 'sb-1',
    user: 'u',
    approvalId: 'a1',
    method: 'POST',
    host: 'api.example.com',
    path: '/v1/things',
    reason: 'sandbox sb-1 was removed',
  };
  for (const e of [pendingEvent('a1'), cancelled]) {
    pending.apply(e);
    notifier.handle(e);
  }
  assert.equal(pending.count, 0);
  assert.equal(electron.notifications[0]!.closed, true);
});

/** A scripted daemon API: approvals, sandboxes of both kinds, and an event stream the test drives. */
function scriptedApi() {
  const calls: string[] = [];
  let removedOnce = false;
  let emit: ((e: WardenEvent) => void) | undefined;
  const api: DaemonApi = {
    call: (async (route: string, args?: { params?: Record<string, string> }) => {
      calls.push(`${route}${args?.params ? ` ${Object.values(args.params).join(',')}` : ''}`);
      if (route === 'GET /v1/status') return { pid: 99 };
      if (route === 'GET /v1/approvals') return [approval('seeded')];
      if (route === 'GET /v1/sandboxes')
        return [
          { kind: 'vm', sandboxId: 'vm-1' },
          { kind: 'vm', sandboxId: 'vm-2' },
          { kind: 'host', sandboxId: 'host-1' },
        ];
      if (route === 'DELETE /v1/sandboxes/:sandboxId' && args?.params?.sandboxId === 'vm-2' && removedOnce)
        throw Object.assign(new Error('gone'), { status: 404 });
      if (route === 'DELETE /v1/sandboxes/:sandboxId' && args?.params?.sandboxId === 'vm-2')
        removedOnce = true;
      return { removed: true };
    }) as DaemonApi['call'],
    events: (onEvent, opts) =>
      new Promise<void>((resolve) => {
        emit = onEvent;
        opts?.onOpen?.();
        opts?.signal?.addEventListener('abort', () => resolve());
      }),
  };
  return { api, calls, emit: (e: WardenEvent) => emit?.(e), ready: () => emit !== undefined };
}

async function until(fn: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function desktop() {
  const home = await mkdtemp(path.join(os.tmpdir(), 'warden-app-'));
  const electron = new FakeElectron();
  const daemon = scriptedApi();
  const signals: string[] = [];
  let alive = true;
  const supervisor = new DaemonSupervisor({
    connect: async () => daemon.api,
    spawnDaemon: () => {
      throw new Error('should attach');
    },
    signal: (_pid, s) => {
      if (s !== 0) signals.push(s);
      if (s === 'SIGTERM') alive = false;
      return alive;
    },
    daemonLog: path.join(home, 'daemon.log'),
    pollMs: 1,
  });
  const app = new DesktopApp(electron, {
    paths: wardenPaths(home),
    supervisor,
    preloadPath: '/p/preload.cjs',
    indexHtml: '/r/index.html',
    trayIcon: '/a/tray.png',
  });
  return {
    home,
    electron,
    daemon,
    supervisor,
    app,
    signals,
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

test('a list fetched before an approval went does not bring it back (the tray count stays right)', () => {
  const pending = new PendingApprovals();
  pending.reset([approval('a1')]);
  // The stream reconnects; while GET /v1/approvals is in flight, a1 is answered and a2 arrives.
  pending.apply(answered('a1'));
  pending.apply(pendingEvent('a2'));
  pending.reset([approval('a1'), approval('a2')]);
  assert.deepEqual(
    pending.list().map((a) => a.id),
    ['a2'],
  );
  // After that list, a1 is settled: the next list decides alone.
  pending.reset([approval('a3')]);
  assert.deepEqual(
    pending.list().map((a) => a.id),
    ['a3'],
  );
});

test('the app: window, IPC handlers, tray seeded from the API and updated by events, notification click focuses the card', async () => {
  const d = await desktop();
  try {
    assert.equal(await d.app.start(), true);
    await until(() => d.supervisor.state === DaemonState.RUNNING, 'attached');
    await until(() => d.daemon.ready(), 'event stream');
    assert.equal(d.electron.windows.length, 1);
    assert.ok(d.electron.ipcMain.handlers.has('warden:status'));
    const tray = d.electron.trays[0]!;
    await until(() => tray.toolTip === 'Warden — 1 pending approval', 'seeded count');

    d.daemon.emit(pendingEvent('new-1'));
    assert.equal(tray.toolTip, 'Warden — 2 pending approvals');
    assert.equal(d.electron.notifications.length, 1);
    const wc = d.electron.windows[0]!.webContents;
    assert.ok(
      wc.sent.some(([c]) => c === 'warden:event'),
      'the window got the event',
    );

    d.electron.notifications[0]!.emit('click');
    assert.deepEqual(wc.sent.at(-1), [FOCUS_APPROVAL_CHANNEL, ['new-1']]);

    // Closing the window and clicking "Open" in the tray brings a new one.
    d.electron.windows[0]!.close();
    click(tray.menu, 'Open Warden');
    assert.equal(d.electron.windows.length, 2);

    // Quit window only: the daemon is detached, not signalled.
    click(tray.menu, 'Quit window only');
    assert.equal(d.electron.app.quits, 1);
    assert.deepEqual(d.signals, []);
    assert.equal(d.supervisor.state, DaemonState.STOPPED);
    assert.equal(d.electron.ipcMain.handlers.size, 0);
  } finally {
    await d.cleanup();
  }
});

test('a second launch does not start; the first instance focuses its window', async () => {
  const d = await desktop();
  try {
    d.electron.app.lock = false;
    assert.equal(await d.app.start(), false);
    assert.equal(d.electron.app.quits, 1);
    assert.equal(d.electron.windows.length, 0);

    const first = await desktop();
    await first.app.start();
    const win = first.electron.windows[0]!;
    win.minimized = true;
    const shown = win.shown;
    first.electron.app.emit('second-instance');
    assert.equal(win.minimized, false);
    assert.ok(win.shown > shown && win.focused > 0);
    assert.equal(first.electron.windows.length, 1);
    first.app.quitWindowOnly();
    await first.cleanup();
  } finally {
    await d.cleanup();
  }
});

test('"Stop all agents" removes every sandbox, VM or host, through the API, then stops the daemon', async () => {
  const d = await desktop();
  try {
    await d.app.start();
    await until(() => d.supervisor.state === DaemonState.RUNNING, 'attached');
    const stopItem = d.electron.appMenu?.find((m) => m.label === 'Warden')?.submenu as Parameters<
      typeof click
    >[0];
    click(stopItem, 'Stop All Agents');
    await until(() => d.electron.app.quits === 1, 'quit');
    assert.deepEqual(d.daemon.calls.filter((c) => c.startsWith('DELETE')).sort(), [
      'DELETE /v1/sandboxes/:sandboxId host-1',
      'DELETE /v1/sandboxes/:sandboxId vm-1',
      'DELETE /v1/sandboxes/:sandboxId vm-2',
    ]);
    assert.deepEqual(d.signals, ['SIGTERM']);
    assert.equal(d.supervisor.state, DaemonState.STOPPED);
    assert.deepEqual(
      await stopAllAgents(d.daemon.api),
      [],
      'an already-removed sandbox (404) is not a problem',
    );
  } finally {
    await d.cleanup();
  }
});

test('"Show Daemon Log" opens the log file', async () => {
  const d = await desktop();
  try {
    await d.app.start();
    click(
      d.electron.appMenu?.find((m) => m.label === 'Warden')?.submenu as Parameters<typeof click>[0],
      'Show Daemon Log',
    );
    assert.deepEqual(d.electron.opened, [path.join(d.home, 'daemon.log')]);
    d.app.quitWindowOnly();
  } finally {
    await d.cleanup();
  }
});
