// The approvals that left the inbox (answered, expired, cancelled), newest last, bounded: a
// user sees what was decided, and an `always` answer can be found again to revoke it. What an
// `always` answer wrote (its rule and action) is kept beside its view, never shown.

import type { ApprovalView } from '../api/index.ts';

/** How many closed approvals are kept (the oldest leaves first). */
export const HISTORY_LIMIT = 500;

export interface WrittenRule {
  rule: ApprovalView['suggestedRule'];
  action: 'allow' | 'deny';
}

export interface ClosedApproval {
  view: ApprovalView;
  /** The session rule an `always` answer added (absent otherwise). */
  written?: WrittenRule;
}

export class ApprovalHistory {
  readonly #limit: number;
  /** Insertion order is closing order; a Map keeps it and finds by id. */
  readonly #byId = new Map<string, ClosedApproval>();

  constructor(limit = HISTORY_LIMIT) {
    this.#limit = Math.max(1, limit);
  }

  add(entry: ClosedApproval): void {
    this.#byId.delete(entry.view.id);
    this.#byId.set(entry.view.id, entry);
    while (this.#byId.size > this.#limit) {
      const oldest = this.#byId.keys().next().value as string;
      this.#byId.delete(oldest);
    }
  }

  get(id: string): ClosedApproval | undefined {
    return this.#byId.get(id);
  }

  /** Newest first. */
  list(): ApprovalView[] {
    return [...this.#byId.values()].reverse().map((e) => e.view);
  }

  get size(): number {
    return this.#byId.size;
  }
}
