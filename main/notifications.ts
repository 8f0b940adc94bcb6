// One native notification per newly pending approval. Clicking it shows the window and
// asks the renderer to open that approval's card; answered or expired approvals close
// their notification. Notifications are kept referenced so their click still fires.

import type { ApprovalView, WardenEvent } from '../supervisor/api/events.ts';
import type { ElectronSurface, NotificationSurface } from './electron-surface.ts';

export function approvalNotificationText(a: ApprovalView): { title: string; body: string } {
  const target = `${a.method} ${a.scheme === 'https' ? 'https' : 'http'}://${a.host}${a.port === 443 || a.port === 80 ? '' : `:${a.port}`}${a.path}`;
  return {
    title: `${a.sandboxId} wants to reach ${a.host}`,
    body: `${target}\n${a.reason}`,
  };
}

export class ApprovalNotifier {
  readonly #electron: ElectronSurface;
  readonly #onClick: (approvalId: string) => void;
  readonly #shown = new Map<string, NotificationSurface>();
  /** Ids already notified (bounded), so a repeated approval.pending never notifies twice. */
  readonly #seen = new Set<string>();

  constructor(electron: ElectronSurface, onClick: (approvalId: string) => void) {
    this.#electron = electron;
    this.#onClick = onClick;
  }

  get open(): number {
    return this.#shown.size;
  }

  /** Show a notification for `approval` unless one was already shown for it. */
  notify(approval: ApprovalView): void {
    if (this.#seen.has(approval.id) || !this.#electron.notificationsSupported()) return;
    this.#seen.add(approval.id);
    if (this.#seen.size > 10_000) this.#seen.delete(this.#seen.values().next().value as string);
    const { title, body } = approvalNotificationText(approval);
    const n = this.#electron.createNotification({ title, body, urgency: 'critical', timeoutType: 'never' });
    n.on('click', () => this.#onClick(approval.id));
    n.on('close', () => this.#shown.delete(approval.id));
    this.#shown.set(approval.id, n);
    n.show();
  }

  handle(event: WardenEvent): void {
    if (event.type === 'approval.pending') this.notify(event.approval);
    else if (
      event.type === 'approval.answered' ||
      event.type === 'approval.expired' ||
      event.type === 'approval.cancelled'
    ) {
      const n = this.#shown.get(event.approvalId);
      this.#shown.delete(event.approvalId);
      n?.close();
    }
  }
}
