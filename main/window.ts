// The main window, locked down: no Node in the renderer, a sandboxed preload, a strict CSP
// on every response, no navigation, no new windows, no webviews, no permissions, and no
// network requests at all (the renderer reaches the daemon only through the bridge).

import type {
  BrowserWindowConstructorOptions,
  ElectronSurface,
  WebContentsSurface,
  WindowSurface,
} from './electron-surface.ts';
import { DEFAULT_SIZE, MIN_SIZE, type WindowStateStore } from './window-state.ts';

/** The renderer's Content-Security-Policy: only the app's own scripts, no network, no plugins, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  // xterm.js and the virtualized lists set inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "frame-src 'none'",
  "worker-src 'self'",
].join('; ');

/** Schemes the window may load: its own files, inline data, devtools. Everything else is cancelled. */
const LOCAL_URL = /^(file|data|blob|devtools|chrome-extension):/i;

export function secureWindowOptions(
  preloadPath: string,
  bounds: Partial<{ x: number; y: number; width: number; height: number }> = {},
  devTools = false,
): BrowserWindowConstructorOptions {
  return {
    width: DEFAULT_SIZE.width,
    height: DEFAULT_SIZE.height,
    ...bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    show: false,
    title: 'Warden',
    backgroundColor: '#10141a',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools,
    },
  };
}

/** Apply the CSP, block navigation, new windows, webviews, permissions and remote requests. */
export function hardenWebContents(wc: WebContentsSurface, log: (line: string) => void = () => {}): void {
  wc.session.webRequest.onHeadersReceived((details, callback) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    for (const key of Object.keys(headers))
      if (key.toLowerCase() === 'content-security-policy') delete headers[key];
    headers['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
    callback({ responseHeaders: headers });
  });
  wc.session.webRequest.onBeforeRequest((details, callback) => {
    const remote = !LOCAL_URL.test(details.url);
    if (remote) log(`blocked a request to ${details.url}`);
    callback({ cancel: remote });
  });
  wc.session.setPermissionRequestHandler((_wc, permission, callback) => {
    log(`denied the permission ${permission}`);
    callback(false);
  });
  wc.on('will-navigate', (event, url) => {
    event.preventDefault();
    log(`blocked navigation to ${url}`);
  });
  wc.on('will-attach-webview', (event) => event.preventDefault());
  wc.setWindowOpenHandler(({ url }) => {
    log(`blocked a new window for ${url}`);
    return { action: 'deny' };
  });
}

export interface MainWindowOptions {
  preloadPath: string;
  indexHtml: string;
  state: WindowStateStore;
  devTools?: boolean;
  log?: (line: string) => void;
}

export function createMainWindow(electron: ElectronSurface, opts: MainWindowOptions): WindowSurface {
  const remembered = opts.state.load(electron.displayWorkAreas());
  const win = electron.createWindow(secureWindowOptions(opts.preloadPath, remembered?.bounds, opts.devTools));
  hardenWebContents(win.webContents, opts.log);
  if (remembered?.maximized) win.maximize();
  opts.state.track(win);
  win.on('ready-to-show', () => win.show());
  void win
    .loadFile(opts.indexHtml)
    .catch((error: Error) => opts.log?.(`could not load ${opts.indexHtml}: ${error.message}`));
  return win;
}

/** Bring a window to the front (restoring it when minimized). */
export function showWindow(win: WindowSurface): void {
  if (win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
