// The main side's answers to the renderer over the extension IPC. What the renderer sends is
// checked before it goes anywhere (the daemon validates bodies again); no handler throws:
// a failure comes back as a result the card can show.

import type { AnswerApprovalRequest, PreviewApprovalRequest } from '../../../supervisor/api/requests.ts';
import {
  type AnswerResult,
  type DaemonLocation,
  type PreviewResult,
  type Snapshot,
  type StateFolderResult,
  WARDEN_IPC,
} from '../common/ipc.ts';
import type { WardenConnection } from './connection.ts';
import { stateFolderProblem } from './preferences.ts';

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

/** The state-folder preference: where the daemon is looked for, and saving a new choice. */
export interface StateFolderPreference {
  set(folder: string | undefined): Promise<void>;
  locate(): DaemonLocation;
}

export function registerIpcHandlers(
  ipc: IpcHandle,
  connection: WardenConnection,
  stateFolder: StateFolderPreference,
): void {
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
      await stateFolder.set(folder === null ? undefined : (folder as string));
    } catch (error) {
      const message = `could not save the preference: ${(error as Error).message}`;
      return { ok: false, error: { name: 'PreferencesNotSaved', message } };
    }
    connection.reconnect();
    return { ok: true, location: stateFolder.locate() };
  });
}
