// Native notifications for new approvals, shown by main (electron.Notification where the
// host's main process has Electron). `auto` shows them unless the Warden desktop app runs,
// since that app notifies too and nobody should get two. The app is found by the lock
// Electron's single-instance check leaves in its user-data folder (a symlink to
// `host-pid` on Linux and macOS), with that pid alive.

import { readlinkSync } from 'node:fs';
import path from 'node:path';
import type { ApprovalView } from '../../../supervisor/api/events.ts';
import type { NotificationsPref, NotificationsView } from '../common/ipc.ts';
import { clusterSentence } from '../common/kube-request.ts';

/** What main needs of electron.Notification. */
export interface NotificationLike {
  show(): void;
  close(): void;
  on(event: 'click', listener: () => void): unknown;
}

export type MakeNotification = (options: { title: string; body: string }) => NotificationLike;

/** The Warden desktop app's user-data folder (its productName is Warden). */
export function desktopUserData(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, homedir: string): string {
  if (platform === 'darwin') return path.join(homedir, 'Library', 'Application Support', 'Warden');
  if (platform === 'win32')
    return path.join(env.APPDATA ?? path.join(homedir, 'AppData', 'Roaming'), 'Warden');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(homedir, '.config'), 'Warden');
}

/** Whether the desktop app holds its single-instance lock in `userData` now. */
export function desktopAppRunning(userData: string): boolean {
  let target: string;
  try {
    target = readlinkSync(path.join(userData, 'SingletonLock'));
  } catch {
    return false;
  }
  const pid = Number(/-(\d+)$/.exec(target)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function approvalText(a: ApprovalView, cluster?: string): { title: string; body: string } {
  const port = a.port === 443 || a.port === 80 ? '' : `:${a.port}`;
  return {
    title: cluster
      ? `Warden: ${a.sandboxId} wants to ${clusterSentence(a.method, a.path, cluster)}`
      : `Warden: ${a.sandboxId} wants to reach ${a.host}`,
    body: `${a.method} ${a.scheme}://${a.host}${port}${a.path}\n${a.reason}`,
  };
}

export interface ApprovalNotifierOptions {
  /** Absent where the host has no Electron in main. */
  make: MakeNotification | undefined;
  pref(): NotificationsPref;
  desktopAppRunning(): boolean;
  /** A notification was clicked: show that approval. */
  onClick(approvalId: string): void;
  /** The catalog cluster the approval's request goes to, if any. */
  clusterOf?(a: ApprovalView): string | undefined;
}

/** One notification per new approval id, closed when the approval goes. */
export class ApprovalNotifier {
  readonly #o: ApprovalNotifierOptions;
  readonly #shown = new Map<string, NotificationLike>();
  readonly #seen = new Set<string>();

  constructor(options: ApprovalNotifierOptions) {
    this.#o = options;
  }

  view(): NotificationsView {
    const pref = this.#o.pref();
    const running = this.#o.desktopAppRunning();
    const supported = this.#o.make !== undefined;
    return {
      pref,
      desktopAppRunning: running,
      supported,
      active: supported && (pref === 'on' || (pref === 'auto' && !running)),
    };
  }

  /** The pending approvals now: notify the new ones, close those that went. */
  update(approvals: ApprovalView[]): void {
    const ids = new Set(approvals.map((a) => a.id));
    for (const [id, n] of this.#shown)
      if (!ids.has(id)) {
        n.close();
        this.#shown.delete(id);
      }
    const fresh = approvals.filter((a) => !this.#seen.has(a.id));
    for (const a of fresh) {
      this.#seen.add(a.id);
      if (this.#seen.size > 10_000) this.#seen.delete(this.#seen.values().next().value as string);
    }
    const make = this.#o.make;
    if (!make || fresh.length === 0 || !this.view().active) return;
    for (const a of fresh) {
      const n = make(approvalText(a, this.#o.clusterOf?.(a)));
      n.on('click', () => this.#o.onClick(a.id));
      n.show();
      this.#shown.set(a.id, n);
    }
  }

  dispose(): void {
    for (const n of this.#shown.values()) n.close();
    this.#shown.clear();
  }
}
