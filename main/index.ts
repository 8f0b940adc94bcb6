// The Electron entry (bundled to dist/main/index.cjs): the only file that imports
// `electron` at runtime. It builds the real surface, the daemon supervisor's real process
// side, and hands both to DesktopApp.

import path from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  Notification,
  nativeImage,
  screen,
  shell,
  Tray,
} from 'electron';
import { ApiClient } from '../supervisor/client/api-client.ts';
import { defaultHome, wardenPaths } from '../supervisor/home/index.ts';
import { DesktopApp } from './app.ts';
import { signalProcess, spawnWardenDaemon } from './daemon-process.ts';
import { DaemonSupervisor } from './daemon-supervisor.ts';
import type { ElectronSurface } from './electron-surface.ts';

const log = (line: string) => process.stdout.write(`[warden-main] ${line}\n`);

/** dist/main/ when run from the repository; resources/app.asar/dist/main/ when packaged. */
const here = __dirname;
const appRoot = path.resolve(here, '..', '..');
/** Files the daemon (plain Node) must read from disk are unpacked beside the asar. */
const unpackedRoot = appRoot.replace(/app\.asar$/, 'app.asar.unpacked');

const surface: ElectronSurface = {
  platform: process.platform,
  app,
  ipcMain,
  createWindow: (options) => new BrowserWindow(options),
  createTray: (iconPath) => {
    const image = nativeImage.createFromPath(iconPath);
    if (process.platform === 'darwin') image.setTemplateImage(true);
    return new Tray(image);
  },
  buildMenu: (template) => Menu.buildFromTemplate(template),
  setApplicationMenu: (menu) => Menu.setApplicationMenu(menu as Electron.Menu | null),
  notificationsSupported: () => Notification.isSupported(),
  createNotification: (options) => new Notification(options),
  showErrorBox: (title, content) => dialog.showErrorBox(title, content),
  openPath: (filePath) => shell.openPath(filePath),
  displayWorkAreas: () => screen.getAllDisplays().map((d) => d.workArea),
};

const paths = wardenPaths(defaultHome());
// Packaged: better-sqlite3 is rebuilt for Electron's ABI, so the daemon runs on Electron's
// own Node (ELECTRON_RUN_AS_NODE). From the repository it was built for the system Node.
const daemonCommand = app.isPackaged
  ? {
      execPath: process.execPath,
      binPath: path.join(unpackedRoot, 'bin', 'warden.mjs'),
      env: { ELECTRON_RUN_AS_NODE: '1' },
    }
  : { execPath: process.env.WARDEN_NODE ?? 'node', binPath: path.join(appRoot, 'bin', 'warden.mjs') };

const supervisor = new DaemonSupervisor({
  connect: () => ApiClient.fromFiles(paths.socket, paths.tokenFile, 'desktop'),
  spawnDaemon: () => spawnWardenDaemon(paths, daemonCommand),
  signal: signalProcess,
  daemonLog: paths.daemonLog,
  log,
});

const desktop = new DesktopApp(surface, {
  paths,
  supervisor,
  preloadPath: path.join(here, 'preload.cjs'),
  indexHtml: path.join(appRoot, 'dist', 'renderer', 'index.html'),
  trayIcon: path.join(
    app.isPackaged ? path.join(process.resourcesPath, 'assets') : path.join(appRoot, 'assets'),
    process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png',
  ),
  devTools: !app.isPackaged,
  log,
});

desktop.start().catch((error: Error) => {
  dialog.showErrorBox('Warden could not start', error.stack ?? error.message);
  app.exit(1);
});
