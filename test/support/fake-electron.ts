// A fake Electron surface for main's unit tests: records what main asks of Electron.

import { EventEmitter } from 'node:events';
import type {
  AppSurface,
  BrowserWindowConstructorOptions,
  ElectronSurface,
  InvokeEventSurface,
  IpcMainSurface,
  MenuItemConstructorOptions,
  NotificationSurface,
  Rectangle,
  TraySurface,
  WebContentsSurface,
  WindowSurface,
} from '../../main/electron-surface.ts';

type Listener = (...args: never[]) => unknown;

export class FakeWebContents extends EventEmitter implements WebContentsSurface {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  sent: Array<[string, unknown[]]> = [];
  destroyed = false;
  openHandler: ((details: { url: string }) => { action: 'deny' }) | undefined;
  headersListener:
    | Parameters<WebContentsSurface['session']['webRequest']['onHeadersReceived']>[0]
    | undefined;
  requestListener: Parameters<WebContentsSurface['session']['webRequest']['onBeforeRequest']>[0] | undefined;
  permissionHandler: ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void) | undefined;
  readonly session = {
    webRequest: {
      onHeadersReceived: (l: FakeWebContents['headersListener']) => {
        this.headersListener = l;
      },
      onBeforeRequest: (l: FakeWebContents['requestListener']) => {
        this.requestListener = l;
      },
    },
    setPermissionRequestHandler: (h: FakeWebContents['permissionHandler']) => {
      this.permissionHandler = h;
    },
  } as WebContentsSurface['session'];
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, args]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.openHandler = handler;
  }
  override on(event: string, listener: Listener): this {
    return super.on(event, listener as (...a: unknown[]) => void);
  }
  override once(event: string, listener: Listener): this {
    return super.once(event, listener as (...a: unknown[]) => void);
  }
}

export class FakeWindow extends EventEmitter implements WindowSurface {
  readonly webContents = new FakeWebContents();
  loaded: string | undefined;
  shown = 0;
  focused = 0;
  maximized = false;
  minimized = false;
  destroyed = false;
  bounds: Rectangle;
  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    this.bounds = {
      x: options.x ?? 0,
      y: options.y ?? 0,
      width: options.width ?? 800,
      height: options.height ?? 600,
    };
  }
  async loadFile(filePath: string): Promise<void> {
    this.loaded = filePath;
  }
  show(): void {
    this.shown++;
  }
  focus(): void {
    this.focused++;
  }
  restore(): void {
    this.minimized = false;
  }
  maximize(): void {
    this.maximized = true;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getNormalBounds(): Rectangle {
    return this.bounds;
  }
  close(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.webContents.emit('destroyed');
    this.emit('closed');
  }
  override on(event: string, listener: () => void): this {
    return super.on(event, listener);
  }
}

export class FakeTray extends EventEmitter implements TraySurface {
  toolTip = '';
  title = '';
  menu: MenuItemConstructorOptions[] | null = null;
  destroyed = false;
  constructor(readonly icon: string) {
    super();
  }
  setToolTip(t: string): void {
    this.toolTip = t;
  }
  setTitle(t: string): void {
    this.title = t;
  }
  setContextMenu(menu: object | null): void {
    this.menu = menu as MenuItemConstructorOptions[] | null;
  }
  destroy(): void {
    this.destroyed = true;
  }
  override on(event: string, listener: () => void): this {
    return super.on(event, listener);
  }
}

export class FakeNotification extends EventEmitter implements NotificationSurface {
  shown = false;
  closed = false;
  constructor(readonly options: { title?: string; body?: string }) {
    super();
  }
  show(): void {
    this.shown = true;
  }
  close(): void {
    this.closed = true;
    this.emit('close');
  }
  override on(event: string, listener: () => void): this {
    return super.on(event, listener);
  }
}

export class FakeApp extends EventEmitter implements AppSurface {
  isPackaged = false;
  lock = true;
  quits = 0;
  badge: number | undefined;
  getAppPath(): string {
    return '/app';
  }
  async whenReady(): Promise<void> {}
  requestSingleInstanceLock(): boolean {
    return this.lock;
  }
  override on(event: string, listener: () => void): this {
    return super.on(event, listener);
  }
  quit(): void {
    this.quits++;
    this.emit('before-quit');
  }
  exit(): void {}
  setBadgeCount(count?: number): boolean {
    this.badge = count;
    return true;
  }
}

export class FakeIpcMain implements IpcMainSurface {
  handlers = new Map<string, (event: InvokeEventSurface, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: InvokeEventSurface, ...args: unknown[]) => unknown): void {
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

export class FakeElectron implements ElectronSurface {
  platform: NodeJS.Platform = 'linux';
  app = new FakeApp();
  ipcMain = new FakeIpcMain();
  windows: FakeWindow[] = [];
  trays: FakeTray[] = [];
  notifications: FakeNotification[] = [];
  appMenu: MenuItemConstructorOptions[] | null = null;
  opened: string[] = [];
  displays: Rectangle[] = [{ x: 0, y: 0, width: 1920, height: 1080 }];
  createWindow(options: BrowserWindowConstructorOptions): FakeWindow {
    const w = new FakeWindow(options);
    this.windows.push(w);
    return w;
  }
  createTray(iconPath: string): FakeTray {
    const t = new FakeTray(iconPath);
    this.trays.push(t);
    return t;
  }
  /** The fake "menu" is its template, so tests can click items. */
  buildMenu(template: MenuItemConstructorOptions[]): object {
    return template;
  }
  setApplicationMenu(menu: object | null): void {
    this.appMenu = menu as MenuItemConstructorOptions[] | null;
  }
  notificationsSupported(): boolean {
    return true;
  }
  createNotification(options: { title?: string; body?: string }): FakeNotification {
    const n = new FakeNotification(options);
    this.notifications.push(n);
    return n;
  }
  showErrorBox(): void {}
  async openPath(p: string): Promise<string> {
    this.opened.push(p);
    return '';
  }
  displayWorkAreas(): Rectangle[] {
    return this.displays;
  }
}

/** Click a menu item by (partial) label. */
export function click(menu: MenuItemConstructorOptions[] | null, label: string): void {
  const item = menu?.find((i) => typeof i.label === 'string' && i.label.includes(label));
  if (!item?.click) throw new Error(`no menu item ${label}`);
  (item.click as () => void)();
}
