// The desktop app, composed from its parts against the Electron surface: single-instance
// lock, the daemon supervisor, the IPC bridge, one shared event stream feeding windows,
// tray, badge and notifications, the app menu, and the two ways out: quit the window only
// (the daemon and its agents keep running) or stop every agent and the daemon.

import { FOCUS_APPROVAL_CHANNEL } from '../supervisor/api/bridge.ts';
import { isTaskEvent } from '../supervisor/api/events.ts';
import type { WardenPaths } from '../supervisor/home/index.ts';
import { type DaemonApi, DaemonState, type DaemonSupervisor } from './daemon-supervisor.ts';
import type { ElectronSurface, MenuItemConstructorOptions, WindowSurface } from './electron-surface.ts';
import { EventHub } from './event-hub.ts';
import { forwardEvents, IpcBridge } from './ipc-bridge.ts';
import { ApprovalNotifier } from './notifications.ts';
import { PendingApprovals } from './pending-approvals.ts';
import { attachShell, TerminalBridge } from './terminal-bridge.ts';
import { TrayController } from './tray.ts';
import { createMainWindow, showWindow } from './window.ts';
import { WindowStateStore } from './window-state.ts';

export interface DesktopConfig {
  paths: WardenPaths;
  preloadPath: string;
  indexHtml: string;
  trayIcon: string;
  supervisor: DaemonSupervisor;
  devTools?: boolean;
  log?: (line: string) => void;
}

/** Every sandbox (microVMs and host listeners) removed through the API; failures (other than already gone) reported. */
export async function stopAllAgents(client: DaemonApi): Promise<string[]> {
  const problems: string[] = [];
  const gone = (e: unknown) => (e as { status?: number }).status === 404;
  const sandboxes = await client.call('GET /v1/sandboxes');
  for (const r of await Promise.allSettled(
    sandboxes.map((s) =>
      client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId: s.sandboxId } }),
    ),
  )) {
    if (r.status === 'rejected' && !gone(r.reason)) problems.push((r.reason as Error).message);
  }
  return problems;
}

export class DesktopApp {
  readonly #e: ElectronSurface;
  readonly #c: DesktopConfig;
  readonly #log: (line: string) => void;
  readonly pending = new PendingApprovals();
  readonly hub: EventHub;
  readonly bridge: IpcBridge;
  readonly terminals: TerminalBridge;
  readonly notifier: ApprovalNotifier;
  readonly windowState: WindowStateStore;
  tray: TrayController | undefined;
  #window: WindowSurface | undefined;
  #quitting = false;

  constructor(electron: ElectronSurface, config: DesktopConfig) {
    this.#e = electron;
    this.#c = config;
    this.#log = config.log ?? (() => {});
    const getClient = () => config.supervisor.client();
    this.hub = new EventHub({ getClient, log: this.#log });
    this.bridge = new IpcBridge({
      ipcMain: electron.ipcMain,
      getClient,
      connection: () => this.hub.state,
      log: this.#log,
    });
    this.terminals = new TerminalBridge({
      ipcMain: electron.ipcMain,
      openExec: async (sandboxId, size) => {
        const client = await getClient();
        if (!client.upgrade) throw new Error('this daemon client cannot attach to a sandbox');
        return attachShell({ upgrade: client.upgrade.bind(client) }, sandboxId, size);
      },
      send: (senderId, channel, ...args) => {
        const wc = this.window?.webContents;
        if (!wc || wc.isDestroyed() || wc.id !== senderId) return false;
        wc.send(channel, ...args);
        return true;
      },
      log: this.#log,
    });
    this.notifier = new ApprovalNotifier(electron, (id) => this.focusApproval(id));
    this.windowState = new WindowStateStore(config.paths.home);
  }

  get window(): WindowSurface | undefined {
    return this.#window && !this.#window.isDestroyed() ? this.#window : undefined;
  }

  /** Returns false (and quits) when another instance already runs; that one gets focused. */
  async start(): Promise<boolean> {
    const { app } = this.#e;
    if (!app.requestSingleInstanceLock()) {
      this.#log('another Warden window is running; focusing it');
      app.quit();
      return false;
    }
    app.on('second-instance', () => this.showWindow());
    app.on('activate', () => this.showWindow());
    // Closing the window leaves the app in the tray; the daemon keeps running either way.
    app.on('window-all-closed', () => {});
    app.on('before-quit', () => this.#shutdown());
    await app.whenReady();

    this.bridge.register();
    this.terminals.register();
    this.hub.subscribe((event) => {
      if (isTaskEvent(event)) return;
      this.pending.apply(event);
      this.notifier.handle(event);
    });
    this.hub.onConnect(() => void this.#seedApprovals());
    const { supervisor } = this.#c;
    supervisor.on('state-changed', ({ state }) => {
      this.tray?.setDaemonState(state);
      if (state === DaemonState.RUNNING) this.hub.retryNow();
    });
    this.#e.setApplicationMenu(this.#e.buildMenu(this.appMenu()));
    try {
      this.tray = new TrayController(this.#e, this.#c.trayIcon, this.pending, {
        open: () => this.showWindow(),
        openApprovals: () => {
          const first = this.pending.list()[0];
          if (first) this.focusApproval(first.id);
          else this.showWindow();
        },
        stopAllAndQuit: () => void this.stopAllAndQuit(),
        quitWindowOnly: () => this.quitWindowOnly(),
      });
    } catch (error) {
      this.#log(`no tray icon: ${(error as Error).message}`);
    }
    this.showWindow();
    void supervisor.start();
    return true;
  }

  async #seedApprovals(): Promise<void> {
    try {
      const client = await this.#c.supervisor.client();
      this.pending.reset(await client.call('GET /v1/approvals'));
    } catch (error) {
      this.#log(`could not list approvals: ${(error as Error).message}`);
    }
  }

  appMenu(): MenuItemConstructorOptions[] {
    const mac = this.#e.platform === 'darwin';
    return [
      ...(mac ? [{ role: 'appMenu' } as MenuItemConstructorOptions] : []),
      {
        label: 'Warden',
        submenu: [
          { label: 'Open Window', accelerator: 'CmdOrCtrl+N', click: () => this.showWindow() },
          { label: 'Show Daemon Log', click: () => void this.#e.openPath(this.#c.paths.daemonLog) },
          { type: 'separator' },
          { label: 'Stop All Agents and Quit…', click: () => void this.stopAllAndQuit() },
          {
            label: 'Quit Window Only (agents keep running)',
            accelerator: 'CmdOrCtrl+Q',
            click: () => this.quitWindowOnly(),
          },
        ],
      },
      { role: 'editMenu' },
      { role: 'windowMenu' },
    ];
  }

  showWindow(): WindowSurface {
    let win = this.window;
    if (!win) {
      win = createMainWindow(this.#e, {
        preloadPath: this.#c.preloadPath,
        indexHtml: this.#c.indexHtml,
        state: this.windowState,
        devTools: this.#c.devTools ?? false,
        log: this.#log,
      });
      forwardEvents(this.hub, win.webContents);
      const contents = win.webContents;
      contents.once('destroyed', () => this.terminals.closeAllFor(contents.id));
      this.#window = win;
    }
    showWindow(win);
    return win;
  }

  /** Show the window and ask the renderer to open this approval's card. */
  focusApproval(approvalId: string): void {
    const win = this.showWindow();
    if (!win.webContents.isDestroyed()) win.webContents.send(FOCUS_APPROVAL_CHANNEL, approvalId);
  }

  /** Remove every sandbox and listener, stop the daemon (SIGTERM, wait, kill), quit. */
  async stopAllAndQuit(): Promise<void> {
    try {
      const client = await this.#c.supervisor.client();
      const problems = await stopAllAgents(client);
      if (problems.length > 0) this.#log(`while stopping agents: ${problems.join('; ')}`);
    } catch (error) {
      this.#log(`could not reach the daemon to stop agents: ${(error as Error).message}`);
    }
    await this.#c.supervisor.stop();
    this.#quit();
  }

  /** Close the UI; the daemon and every agent keep running. */
  quitWindowOnly(): void {
    this.#c.supervisor.detach();
    this.#quit();
  }

  #quit(): void {
    this.#shutdown();
    this.#e.app.quit();
  }

  #shutdown(): void {
    if (this.#quitting) return;
    this.#quitting = true;
    if (this.#c.supervisor.state !== DaemonState.STOPPED) this.#c.supervisor.detach();
    this.windowState.flush();
    this.bridge.dispose();
    this.terminals.dispose();
    this.tray?.destroy();
    void this.hub.stop();
  }
}
