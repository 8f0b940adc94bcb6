// The main side of the extension, the same on every host: the connection to the daemon,
// the activity and sandboxes beside it, the preferences, native notifications and the IPC
// handlers. Each host's entry (index.ts for Freelens 2, ../legacy/main.ts for Freelens 1
// and OpenLens) passes in what its host provides.

import os from 'node:os';
import { VERSION } from '../../../supervisor/api/version.ts';
import { type CatalogCluster, type ClusterRef, type Snapshot, WARDEN_IPC } from '../common/ipc.ts';
import { clusterRefs } from './clusters.ts';
import { WardenConnection } from './connection.ts';
import { daemonLocation } from './daemon-location.ts';
import { type IpcHandle, registerIpcHandlers } from './ipc-handlers.ts';
import { LiveLists } from './live.ts';
import {
  ApprovalNotifier,
  desktopAppRunning,
  desktopUserData,
  type MakeNotification,
} from './notifications.ts';
import { loadPreferences, type Preferences, savePreferences } from './preferences.ts';
import { type ShellEnv, type ShellEnvContext, TerminalGovernor } from './terminals.ts';

export interface MainIpc extends IpcHandle {
  broadcast(channel: string, ...args: unknown[]): void;
}

export interface WardenMainOptions {
  ipc: MainIpc;
  /** The extension's own writable folder (getExtensionFileFolder()). */
  folder: string;
  log(level: 'info' | 'warn', line: string): void;
  /** electron.Notification where main has it. */
  makeNotification?: MakeNotification;
  /** A notification was clicked (the renderer was told which): bring the host's page forward. */
  showApproval?(approvalId: string): void;
  /** Each snapshot, after it was broadcast (the legacy tray follows it). */
  onSnapshot?(snapshot: Snapshot): void;
}

export interface WardenMain {
  snapshot(): Snapshot;
  /** The host's terminalShellEnvModifier. */
  terminalEnv(ctx: ShellEnvContext, env: ShellEnv): ShellEnv;
  stop(): Promise<void>;
}

/**
 * electron.Notification where main runs in Electron; undefined elsewhere (a test, a bare
 * Node). `load` is the host's way to load it: import() on Freelens 2, require() on the
 * CommonJS hosts (Electron 22 cannot import() it).
 */
export async function electronNotification(
  load: () => Promise<unknown>,
): Promise<MakeNotification | undefined> {
  try {
    const electron = (await load()) as {
      Notification?: (new (o: {
        title: string;
        body: string;
      }) => ReturnType<MakeNotification>) & {
        isSupported(): boolean;
      };
    };
    const N = electron.Notification ?? (electron as { default?: typeof electron }).default?.Notification;
    if (!N || typeof N !== 'function' || !N.isSupported()) return undefined;
    return (o) => new N(o);
  } catch {
    return undefined;
  }
}

export async function startWardenMain(o: WardenMainOptions): Promise<WardenMain> {
  let prefs: Preferences = await loadPreferences(o.folder, (line) => o.log('warn', line));
  let clusters: ClusterRef[] = [];
  let catalog: CatalogCluster[] = [];
  const userData = desktopUserData(process.env, process.platform, os.homedir());
  const notifier = new ApprovalNotifier({
    make: o.makeNotification,
    pref: () => prefs.notifications ?? 'auto',
    desktopAppRunning: () => desktopAppRunning(userData),
    onClick: (id) => {
      o.ipc.broadcast(WARDEN_IPC.focus, id);
      o.showApproval?.(id);
    },
    clusterOf: (a) => clusters.find((c) => c.host === a.host.toLowerCase() && c.port === a.port)?.name,
  });
  const locate = () =>
    daemonLocation({
      env: process.env,
      platform: process.platform,
      homedir: os.homedir(),
      ...(prefs.stateFolder ? { chosen: prefs.stateFolder } : {}),
    });
  const broadcastSnapshot = () => o.ipc.broadcast(WARDEN_IPC.changed, connection.snapshot());
  const terminals = new TerminalGovernor({
    pref: () => prefs.terminals ?? { mode: 'off', clusters: [] },
    catalog: () => catalog,
    folder: o.folder,
    log: o.log,
    onChange: () => broadcastSnapshot(),
  });
  const live = new LiveLists({
    onActivity: (rows) => o.ipc.broadcast(WARDEN_IPC.activityChanged, rows),
    onSandboxes: (rows) => o.ipc.broadcast(WARDEN_IPC.sandboxesChanged, rows),
    onTasks: (rows) => o.ipc.broadcast(WARDEN_IPC.tasksChanged, rows),
    log: o.log,
  });
  const connection = new WardenConnection({
    locate,
    stateFolder: () => prefs.stateFolder,
    notifications: () => notifier.view(),
    terminals: () => terminals.view(),
    clusters: () => clusters,
    extensionVersion: VERSION,
    log: o.log,
    onChange: (snapshot) => {
      o.ipc.broadcast(WARDEN_IPC.changed, snapshot);
      notifier.update(snapshot.approvals);
      o.onSnapshot?.(snapshot);
    },
    onOpen: (client) => {
      live.opened(client);
      terminals.opened(client);
    },
    onEvent: (event) => live.event(event),
    onTask: (event) => live.task(event),
    onClose: () => {
      live.closed();
      terminals.closed();
    },
  });
  const save = async (next: Preferences) => {
    await savePreferences(o.folder, next);
    prefs = next;
  };
  registerIpcHandlers(
    o.ipc,
    connection,
    {
      locate,
      async setStateFolder(stateFolder) {
        const { stateFolder: _old, ...rest } = prefs;
        await save(stateFolder ? { ...rest, stateFolder } : rest);
      },
      async setNotifications(notifications) {
        await save({ ...prefs, notifications });
        broadcastSnapshot();
        return notifier.view();
      },
      async setClusters(list) {
        catalog = list;
        clusters = await clusterRefs(list);
        // A read-only cluster's kubeconfig may have moved: the listener follows.
        await terminals.sync();
        broadcastSnapshot();
        return clusters;
      },
      async setTerminals(pref) {
        await save({ ...prefs, terminals: pref });
        await terminals.sync();
        broadcastSnapshot();
        return terminals.view();
      },
    },
    live,
  );
  connection.start();
  return {
    snapshot: () => connection.snapshot(),
    terminalEnv: (ctx, env) => terminals.modify(ctx, env),
    async stop() {
      await terminals.remove();
      await connection.stop();
      live.dispose();
      notifier.dispose();
    },
  };
}
