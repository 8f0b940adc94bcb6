// The pending approvals as the extension sees them: seeded from GET /v1/approvals each time
// the event stream opens, then kept by approval.* events. An approval that went (answered,
// expired, cancelled) while the list was in flight is not brought back by a stale list.

import type { ApprovalView, WardenEvent } from '../../../supervisor/api/events.ts';

export class PendingApprovals {
  readonly #pending = new Map<string, ApprovalView>();
  /** Ids that went since the stream opened. */
  readonly #gone = new Set<string>();

  /** Oldest first. */
  list(): ApprovalView[] {
    return [...this.#pending.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  has(id: string): boolean {
    return this.#pending.has(id);
  }

  /** The stream (re)opened: forget what went before it. */
  opened(): void {
    this.#gone.clear();
  }

  /** Replace the set with the daemon's list; returns whether anything changed. */
  reset(approvals: ApprovalView[]): boolean {
    const before = [...this.#pending.keys()].join();
    this.#pending.clear();
    for (const a of approvals) if (!this.#gone.has(a.id)) this.#pending.set(a.id, a);
    return before !== [...this.#pending.keys()].join();
  }

  /** Drop everything (the connection was lost); returns whether anything changed. */
  clear(): boolean {
    const had = this.#pending.size > 0;
    this.#pending.clear();
    this.#gone.clear();
    return had;
  }

  /** The approval is no longer waiting; returns whether it was in the set. */
  remove(id: string): boolean {
    this.#gone.add(id);
    return this.#pending.delete(id);
  }

  /** Apply one event; returns whether the set changed. */
  apply(event: WardenEvent): boolean {
    if (event.type === 'approval.pending') {
      if (this.#gone.has(event.approval.id)) return false;
      this.#pending.set(event.approval.id, event.approval);
      return true;
    }
    if (
      event.type === 'approval.answered' ||
      event.type === 'approval.expired' ||
      event.type === 'approval.cancelled'
    )
      return this.remove(event.approvalId);
    if (event.type === 'daemon.stopping') return this.clear();
    return false;
  }
}
