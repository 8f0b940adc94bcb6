// The extension's preferences kept by main in its own folder (getExtensionFileFolder(), kept
// across reinstalls): the Warden state folder, when it is not $WARDEN_HOME or the
// platform's default, whether new approvals show native notifications, and which clusters'
// Lens terminals are governed. A file that cannot be read is ignored, with a line in the log.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NotificationsPref, TerminalsPref } from '../common/ipc.ts';
import { terminalsPrefProblem } from './terminals.ts';

export interface Preferences {
  /** An absolute folder, or absent for $WARDEN_HOME / the default. */
  stateFolder?: string;
  /** Native notifications for new approvals (absent: auto). */
  notifications?: NotificationsPref;
  /** Which clusters' Lens terminals go through Warden (absent: none). */
  terminals?: TerminalsPref;
}

const NOTIFICATIONS: readonly string[] = ['auto', 'on', 'off'];

export function isNotificationsPref(value: unknown): value is NotificationsPref {
  return typeof value === 'string' && NOTIFICATIONS.includes(value);
}

const FILE = 'preferences.json';
const MAX_PATH = 4096;

/** Why `folder` cannot be the state folder, or undefined when it can. */
export function stateFolderProblem(folder: unknown): string | undefined {
  if (typeof folder !== 'string' || folder.length === 0) return 'the state folder is a path';
  if (folder.length > MAX_PATH) return `the state folder's path is longer than ${MAX_PATH} characters`;
  if (folder.includes('\0')) return "the state folder's path has a NUL character";
  if (!path.isAbsolute(folder))
    return `the state folder must be an absolute path, not ${folder.slice(0, 200)}`;
  return undefined;
}

export async function loadPreferences(dir: string, log: (line: string) => void): Promise<Preferences> {
  let text: string;
  try {
    text = await readFile(path.join(dir, FILE), 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = JSON.parse(text) as {
      stateFolder?: unknown;
      notifications?: unknown;
      terminals?: unknown;
    };
    const prefs: Preferences = {};
    if (isNotificationsPref(parsed.notifications)) prefs.notifications = parsed.notifications;
    if (parsed.terminals !== undefined && !terminalsPrefProblem(parsed.terminals)) {
      const { mode, clusters, readOnly } = parsed.terminals as TerminalsPref;
      prefs.terminals = { mode, clusters, ...(readOnly ? { readOnly } : {}) };
    }
    if (parsed.stateFolder === undefined) return prefs;
    const problem = stateFolderProblem(parsed.stateFolder);
    if (problem) {
      log(`ignoring the state folder in ${path.join(dir, FILE)}: ${problem}`);
      return prefs;
    }
    return { ...prefs, stateFolder: parsed.stateFolder as string };
  } catch {
    log(`ignoring ${path.join(dir, FILE)}: it is not JSON`);
    return {};
  }
}

export async function savePreferences(dir: string, prefs: Preferences): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(prefs, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}
