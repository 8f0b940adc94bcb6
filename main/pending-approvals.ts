// The set of pending approvals as main sees it: seeded from GET /v1/approvals whenever
// the event stream (re)connects, then kept current by approval.* events. The list travels
// on another connection than the events: one that went (answered, expired, cancelled)
// while the list was in flight must not come back with it.

import type { ApprovalView, WardenEvent } from '../supervisor/api/events.ts';

export class PendingApprovals {
  readonly #pending = new Map<string, ApprovalView>();
  readonly #listeners = new Set<(count: number) => void>();
  /** Ids that went since the last reset: a list fetched before they went still has them. */
  readonly #gone = new Set<string>();

  get count(): number {
    return this.#pending.size;
  }

  /** Oldest first. */
  list(): ApprovalView[] {
    return [...this.#pending.values()];
  }

  onChange(listener: (count: number) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  reset(approvals: ApprovalView[]): void {
    this.#pending.clear();
    for (const a of approvals) if (!this.#gone.has(a.id)) this.#pending.set(a.id, a);
    // Approval ids are never reused: what went before this list is settled.
    this.#gone.clear();
    this.#changed();
  }

  /** Apply one event; returns the approval when it is newly pending. */
  apply(event: WardenEvent): ApprovalView | undefined {
    if (event.type === 'approval.pending') {
      const fresh = !this.#pending.has(event.approval.id);
      this.#pending.set(event.approval.id, event.approval);
      if (fresh) this.#changed();
      return fresh ? event.approval : undefined;
    }
    if (
      event.type === 'approval.answered' ||
      event.type === 'approval.expired' ||
      event.type === 'approval.cancelled'
    ) {
      this.#gone.add(event.approvalId);
      if (this.#pending.delete(event.approvalId)) this.#changed();
    } else if (event.type === 'daemon.stopping') {
      this.reset([]);
    }
    return undefined;
  }

  #changed(): void {
    for (const l of this.#listeners) l(this.#pending.size);
  }
}
