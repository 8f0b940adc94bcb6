// The few parts of Electron the main process uses, as narrow interfaces. The real
// implementation is assembled only in index.ts (the one file that imports `electron` at
// runtime, and where the compiler checks Electron's objects against these shapes); every
// other file takes this surface through its constructor so it runs under node:test with fakes.

import type {
  BrowserWindowConstructorOptions,
  HeadersReceivedResponse,
  MenuItemConstructorOptions,
  NotificationConstructorOptions,
  OnHeadersReceivedListenerDetails,
  Rectangle,
} from 'electron';

export type { BrowserWindowConstructorOptions, MenuItemConstructorOptions, Rectangle };

/** What the main process needs of an IPC invoke event: who sent it. */
export interface InvokeEventSurface {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string } | null;
}

export interface IpcMainSurface {
  handle(channel: string, listener: (event: InvokeEventSurface, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface WebRequestSurface {
  onBeforeRequest(
    listener: (details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void,
  ): void;
  onHeadersReceived(
    listener: (
      details: Pick<OnHeadersReceivedListenerDetails, 'url' | 'responseHeaders' | 'resourceType'>,
      callback: (response: HeadersReceivedResponse) => void,
    ) => void,
  ): void;
}

export interface SessionSurface {
  readonly webRequest: WebRequestSurface;
  setPermissionRequestHandler(
    handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void,
  ): void;
}

export interface WebContentsSurface {
  readonly id: number;
  readonly session: SessionSurface;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  on(event: 'will-navigate', listener: (event: { preventDefault(): void }, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  once(event: 'destroyed', listener: () => void): unknown;
}

export interface WindowSurface {
  readonly webContents: WebContentsSurface;
  loadFile(filePath: string): Promise<void>;
  show(): void;
  focus(): void;
  restore(): void;
  maximize(): void;
  isMinimized(): boolean;
  isMaximized(): boolean;
  isDestroyed(): boolean;
  getNormalBounds(): Rectangle;
  on(
    event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'closed' | 'ready-to-show',
    listener: () => void,
  ): unknown;
}

/** A built menu, opaque to everything but the surface that built it. */
export type MenuSurface = object;

export interface TraySurface {
  setToolTip(toolTip: string): void;
  /** macOS only (the text beside the icon); a no-op elsewhere. */
  setTitle(title: string): void;
  setContextMenu(menu: MenuSurface | null): void;
  on(event: 'click', listener: () => void): unknown;
  destroy(): void;
}

export interface NotificationSurface {
  show(): void;
  close(): void;
  on(event: 'click' | 'close', listener: () => void): unknown;
}

export interface AppSurface {
  readonly isPackaged: boolean;
  getAppPath(): string;
  whenReady(): Promise<void>;
  requestSingleInstanceLock(): boolean;
  on(
    event: 'second-instance' | 'window-all-closed' | 'activate' | 'before-quit',
    listener: () => void,
  ): unknown;
  quit(): void;
  exit(code?: number): void;
  /** Returns false where the platform has no badge (most Linux desktops, Windows). */
  setBadgeCount(count?: number): boolean;
}

/** Everything the main process reaches in Electron, in one object (the real one in index.ts). */
export interface ElectronSurface {
  readonly platform: NodeJS.Platform;
  readonly app: AppSurface;
  readonly ipcMain: IpcMainSurface;
  createWindow(options: BrowserWindowConstructorOptions): WindowSurface;
  createTray(iconPath: string): TraySurface;
  buildMenu(template: MenuItemConstructorOptions[]): MenuSurface;
  setApplicationMenu(menu: MenuSurface | null): void;
  notificationsSupported(): boolean;
  createNotification(options: NotificationConstructorOptions): NotificationSurface;
  showErrorBox(title: string, content: string): void;
  openPath(filePath: string): Promise<string>;
  /** Work areas of the connected displays (for validating a remembered window position). */
  displayWorkAreas(): Rectangle[];
}
