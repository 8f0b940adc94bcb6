// The main entry of the Freelens 2 package: everything that touches the daemon runs here
// (the renderer is a browser page with no Node). One connection to the daemon; its
// snapshot (connection state, pending approvals) is broadcast to the renderer on each
// change and answered on request, and answers go back to the daemon.

import os from 'node:os';
import { Common, Main } from '@freelensapp/extensions';
import { VERSION } from '../../../supervisor/api/version.ts';
import { WARDEN_IPC } from '../common/ipc.ts';
import { WardenConnection } from './connection.ts';
import { daemonLocation } from './daemon-location.ts';
import { registerIpcHandlers } from './ipc-handlers.ts';
import { loadPreferences, type Preferences, savePreferences } from './preferences.ts';

class WardenIpc extends Main.Ipc {}

export default class WardenExtension extends Main.LensExtension {
  #connection: WardenConnection | undefined;

  override async onActivate(): Promise<void> {
    const ipc = WardenIpc.createInstance(this);
    const log = (level: 'info' | 'warn', line: string) => Common.logger[level](`[warden] ${line}`);
    const folder = await this.getExtensionFileFolder();
    let prefs: Preferences = await loadPreferences(folder, (line) => log('warn', line));
    const locate = () =>
      daemonLocation({
        env: process.env,
        platform: process.platform,
        homedir: os.homedir(),
        ...(prefs.stateFolder ? { chosen: prefs.stateFolder } : {}),
      });
    const connection = new WardenConnection({
      locate,
      stateFolder: () => prefs.stateFolder,
      extensionVersion: VERSION,
      log,
      onChange: (snapshot) => ipc.broadcast(WARDEN_IPC.changed, snapshot),
    });
    registerIpcHandlers(ipc, connection, {
      locate,
      async set(stateFolder) {
        const next: Preferences = stateFolder ? { stateFolder } : {};
        await savePreferences(folder, next);
        prefs = next;
      },
    });
    this.#connection = connection;
    connection.start();
  }

  override async onDeactivate(): Promise<void> {
    await this.#connection?.stop();
    this.#connection = undefined;
  }
}
