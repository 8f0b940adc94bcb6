// The main side's answers to the renderer over the extension IPC. What the renderer sends is
// checked before it goes anywhere (the daemon validates bodies again); no handler throws:
// a failure comes back as a result the card can show.

import type { AnswerApprovalRequest, PreviewApprovalRequest } from '../../../supervisor/api/requests.ts';
import type { TaskView } from '../../../supervisor/api/tasks.ts';
import {
  type ActivityRow,
  type AnswerResult,
  type CancelTaskResult,
  type CatalogCluster,
  type ClusterRef,
  type ClustersResult,
  type DaemonLocation,
  type NotificationsPref,
  type NotificationsResult,
  type NotificationsView,
  type PreviewResult,
  type SandboxRow,
  type Snapshot,
  type StateFolderResult,
  type StopResult,
  type TerminalsPref,
  type TerminalsResult,
  type TerminalsView,
  WARDEN_IPC,
} from '../common/ipc.ts';
import { catalogClustersProblem } from './clusters.ts';
import type { WardenConnection } from './connection.ts';
import type { LiveLists } from './live.ts';
import { isNotificationsPref, stateFolderProblem } from './preferences.ts';
import { terminalsPrefProblem } from './terminals.ts';

/** What main needs of Main.Ipc. */
export interface IpcHandle {
  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown): void;
}

const MAX_ID = 200;

function badRequest(message: string): { ok: false; gone: false; error: { name: string; message: string } } {
  return { ok: false, gone: false, error: { name: 'BadRequest', message } };
}

function validId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The preferences: where the daemon is looked for, and saving a new choice. */
export interface PreferencesHandle {
  setStateFolder(folder: string | undefined): Promise<void>;
  locate(): DaemonLocation;
  setNotifications(pref: NotificationsPref): Promise<NotificationsView>;
  setTerminals(pref: TerminalsPref): Promise<TerminalsView>;
  /** The catalog's clusters changed: find their API servers. */
  setClusters(clusters: CatalogCluster[]): Promise<ClusterRef[]>;
}

export function registerIpcHandlers(
  ipc: IpcHandle,
  connection: WardenConnection,
  prefs: PreferencesHandle,
  live: LiveLists,
): void {
  ipc.handle(WARDEN_IPC.activity, (): ActivityRow[] => live.activity());
  ipc.handle(WARDEN_IPC.sandboxes, (): SandboxRow[] => live.sandboxes());
  ipc.handle(WARDEN_IPC.tasks, (): TaskView[] => live.tasks());
  ipc.handle(WARDEN_IPC.cancelTask, async (_event, id): Promise<CancelTaskResult> => {
    if (!validId(id)) return badRequest('a task id is a non-empty string');
    return live.cancelTask(id);
  });
  ipc.handle(WARDEN_IPC.stopSandbox, async (_event, id): Promise<StopResult> => {
    if (!validId(id)) return badRequest('a sandbox id is a non-empty string');
    const result = await connection.stopSandbox(id);
    if (result.ok || result.gone) live.removed(id);
    return result;
  });
  ipc.handle(WARDEN_IPC.setClusters, async (_event, clusters): Promise<ClustersResult> => {
    const problem = catalogClustersProblem(clusters);
    if (problem) return { ok: false, error: { name: 'BadRequest', message: problem } };
    const list = (clusters as CatalogCluster[]).map(({ name, kubeconfigPath, kubeconfigContext }) => ({
      name,
      kubeconfigPath,
      kubeconfigContext,
    }));
    return { ok: true, clusters: await prefs.setClusters(list) };
  });
  ipc.handle(WARDEN_IPC.setTerminals, async (_event, pref): Promise<TerminalsResult> => {
    const problem = terminalsPrefProblem(pref);
    if (problem) return { ok: false, error: { name: 'BadRequest', message: problem } };
    const { mode, clusters, readOnly } = pref as TerminalsPref;
    const copy: TerminalsPref = {
      mode,
      clusters: [...clusters],
      ...(readOnly ? { readOnly: [...readOnly] } : {}),
    };
    try {
      return { ok: true, terminals: await prefs.setTerminals(copy) };
    } catch (error) {
      const message = `could not save the preference: ${(error as Error).message}`;
      return { ok: false, error: { name: 'PreferencesNotSaved', message } };
    }
  });
  ipc.handle(WARDEN_IPC.setNotifications, async (_event, pref): Promise<NotificationsResult> => {
    if (!isNotificationsPref(pref))
      return { ok: false, error: { name: 'BadRequest', message: 'notifications are auto, on or off' } };
    try {
      return { ok: true, notifications: await prefs.setNotifications(pref) };
    } catch (error) {
      const message = `could not save the preference: ${(error as Error).message}`;
      return { ok: false, error: { name: 'PreferencesNotSaved', message } };
    }
  });
  ipc.handle(WARDEN_IPC.snapshot, (): Snapshot => connection.snapshot());
  ipc.handle(WARDEN_IPC.answer, async (_event, id, body): Promise<AnswerResult> => {
    if (!validId(id)) return badRequest('an approval id is a non-empty string');
    if (!isPlainObject(body)) return badRequest('an answer is an object: { decision, scope, rule? }');
    return connection.answer(id, body as unknown as AnswerApprovalRequest);
  });
  ipc.handle(WARDEN_IPC.preview, async (_event, id, body): Promise<PreviewResult> => {
    if (!validId(id)) return badRequest('an approval id is a non-empty string');
    if (!isPlainObject(body)) return badRequest('a preview is an object: { decision, rule? }');
    return connection.preview(id, body as unknown as PreviewApprovalRequest);
  });
  ipc.handle(WARDEN_IPC.retry, () => {
    connection.retryNow();
    return true;
  });
  ipc.handle(WARDEN_IPC.setStateFolder, async (_event, folder): Promise<StateFolderResult> => {
    const problem = folder === null ? undefined : stateFolderProblem(folder);
    if (problem)
      return {
        ok: false,
        error: { name: 'BadRequest', message: problem, hint: 'choose the folder with the file picker' },
      };
    try {
      await prefs.setStateFolder(folder === null ? undefined : (folder as string));
    } catch (error) {
      const message = `could not save the preference: ${(error as Error).message}`;
      return { ok: false, error: { name: 'PreferencesNotSaved', message } };
    }
    connection.reconnect();
    return { ok: true, location: prefs.locate() };
  });
}
