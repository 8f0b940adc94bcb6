// Pending approvals, kept live from approval.* events and refetched on (re)connect, with a
// clock for the countdowns. Answering goes through the client; the card leaves when the
// daemon says the approval was answered.

import { action, computed, makeObservable, observable, observableRef, runInAction } from 'mobx';
import type {
  ApprovalDecision,
  ApprovalScope,
  ApprovalView,
  WardenEvent,
} from '../../supervisor/api/events.ts';
import type { PolicyDiff } from '../../supervisor/api/policy-types.ts';
import { type BridgeError, toBridgeError, type WardenClient } from '../client/client.ts';

export interface Clock {
  now(): number;
  /** Calls `fn` every `ms`; returns a disposer. */
  every(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every: (ms, fn) => {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  },
};

export class ApprovalsStore {
  readonly items = observable.map<string, ApprovalView>();
  now: number;
  loading = false;
  loaded = false;
  error: BridgeError | null = null;
  /** Errors of answers, per approval id. */
  readonly answerErrors = observable.map<string, BridgeError>();
  readonly busy = observable.set<string>();
  /** An approval whose card should be shown and focused (the desktop asked, e.g. a notification click). */
  focusRequest: string | null = null;
  readonly #client: WardenClient;
  readonly #clock: Clock;
  #stopTicking?: () => void;
  /**
   * Ids that went (answered, expired, cancelled) since the last load: the list travels on
   * another connection than the events, so one fetched before they went still has them.
   */
  readonly #gone = new Set<string>();

  constructor(client: WardenClient, clock: Clock = systemClock) {
    this.#client = client;
    this.#clock = clock;
    this.now = clock.now();
    makeObservable(this, {
      now: observable,
      loading: observable,
      loaded: observable,
      error: observableRef,
      list: computed,
      focusRequest: observable,
      onEvent: action,
      tick: action,
      requestFocus: action,
      focusDone: action,
    });
  }

  requestFocus(approvalId: string): void {
    this.focusRequest = approvalId;
  }

  /** The card took the focus (or is gone). */
  focusDone(): void {
    this.focusRequest = null;
  }

  startTicking(): () => void {
    this.#stopTicking?.();
    this.#stopTicking = this.#clock.every(1000, () => this.tick());
    return () => this.#stopTicking?.();
  }

  tick(): void {
    this.now = this.#clock.now();
  }

  get list(): ApprovalView[] {
    return [...this.items.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  secondsLeft(a: ApprovalView): number {
    return Math.max(0, Math.ceil((Date.parse(a.expiresAt) - this.now) / 1000));
  }

  async load(): Promise<void> {
    runInAction(() => {
      this.loading = true;
    });
    try {
      const list = await this.#client.listApprovals();
      runInAction(() => {
        this.items.replace(
          list.filter((a) => !this.#gone.has(a.id)).map((a) => [a.id, a] as [string, ApprovalView]),
        );
        // Approval ids are never reused: what went before this list is settled.
        this.#gone.clear();
        this.error = null;
        this.loaded = true;
        this.now = this.#clock.now();
      });
    } catch (error) {
      runInAction(() => {
        this.error = toBridgeError(error);
      });
    } finally {
      runInAction(() => {
        this.loading = false;
      });
    }
  }

  onEvent(event: WardenEvent): void {
    if (event.type === 'approval.pending') {
      this.items.set(event.approval.id, event.approval);
      this.now = this.#clock.now();
    } else if (
      event.type === 'approval.answered' ||
      event.type === 'approval.expired' ||
      event.type === 'approval.cancelled'
    ) {
      this.#gone.add(event.approvalId);
      this.items.delete(event.approvalId);
      this.answerErrors.delete(event.approvalId);
      this.busy.delete(event.approvalId);
    }
  }

  async answer(id: string, decision: ApprovalDecision, scope: ApprovalScope): Promise<boolean> {
    runInAction(() => {
      this.busy.add(id);
      this.answerErrors.delete(id);
    });
    try {
      await this.#client.answerApproval({ params: { id }, body: { decision, scope } });
      this.#gone.add(id);
      runInAction(() => this.items.delete(id));
      return true;
    } catch (error) {
      const e = toBridgeError(error);
      runInAction(() => {
        this.answerErrors.set(id, e);
        if (e.status === 404) {
          this.#gone.add(id);
          this.items.delete(id);
        }
      });
      return false;
    } finally {
      runInAction(() => this.busy.delete(id));
    }
  }

  /** The policy change an `always` answer would make (nothing changes). */
  preview(id: string, decision: ApprovalDecision): Promise<PolicyDiff> {
    return this.#client.previewApproval({ params: { id }, body: { decision } }).catch((error: unknown) => {
      throw toBridgeError(error);
    });
  }
}
