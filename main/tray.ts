// The tray icon: the number of pending approvals in its tooltip (and title on macOS), the
// app badge where the platform has one, and a menu: Open, Pending approvals, Stop all
// agents and quit, Quit window only.

import type {
  AppSurface,
  ElectronSurface,
  MenuItemConstructorOptions,
  TraySurface,
} from './electron-surface.ts';
import type { PendingApprovals } from './pending-approvals.ts';

export interface TrayActions {
  open(): void;
  openApprovals(): void;
  stopAllAndQuit(): void;
  quitWindowOnly(): void;
}

export function trayToolTip(count: number, daemonState?: string): string {
  const approvals =
    count === 0 ? 'no pending approvals' : count === 1 ? '1 pending approval' : `${count} pending approvals`;
  return daemonState && daemonState !== 'RUNNING'
    ? `Warden — daemon ${daemonState.toLowerCase()}`
    : `Warden — ${approvals}`;
}

export function trayMenu(count: number, actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: 'Open Warden', click: () => actions.open() },
    {
      label: count === 0 ? 'No pending approvals' : `Pending approvals (${count})`,
      enabled: count > 0,
      click: () => actions.openApprovals(),
    },
    { type: 'separator' },
    { label: 'Stop all agents and quit', click: () => actions.stopAllAndQuit() },
    { label: 'Quit window only (agents keep running)', click: () => actions.quitWindowOnly() },
  ];
}

export class TrayController {
  readonly #electron: ElectronSurface;
  readonly #tray: TraySurface;
  readonly #actions: TrayActions;
  readonly #app: AppSurface;
  #count = 0;
  #daemonState: string | undefined;
  readonly #dispose: () => void;

  constructor(electron: ElectronSurface, iconPath: string, pending: PendingApprovals, actions: TrayActions) {
    this.#electron = electron;
    this.#app = electron.app;
    this.#actions = actions;
    this.#tray = electron.createTray(iconPath);
    this.#tray.on('click', () => actions.open());
    this.#dispose = pending.onChange((count) => this.update(count));
    this.update(pending.count);
  }

  setDaemonState(state: string): void {
    this.#daemonState = state;
    this.update(this.#count);
  }

  update(count: number): void {
    this.#count = count;
    this.#tray.setToolTip(trayToolTip(count, this.#daemonState));
    this.#tray.setTitle(count > 0 ? String(count) : '');
    this.#tray.setContextMenu(this.#electron.buildMenu(trayMenu(count, this.#actions)));
    this.#app.setBadgeCount(count);
  }

  destroy(): void {
    this.#dispose();
    this.#tray.destroy();
  }
}
