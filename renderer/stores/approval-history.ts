// What was decided: answered, expired and cancelled approvals (the daemon keeps a bounded
// history), who answered from which client and when, and "always" answers that can be revoked.
// Also the approval-fatigue rate: prompts a human saw in the last hour, per sandbox.

import { action, computed, makeObservable, observable, observableRef, runInAction } from 'mobx';
import type { ApprovalView, WardenEvent } from '../../supervisor/api/events.ts';
import type { SandboxView } from '../../supervisor/api/sandbox-types.ts';
import { type BridgeError, toBridgeError, type WardenClient } from '../client/client.ts';

/** Rows shown (the daemon keeps more; `warden approvals --state all` lists them). */
export const HISTORY_SHOWN = 50;

export class ApprovalHistoryStore {
  items: ApprovalView[] = [];
  /** Sandbox id → prompts in the last hour. */
  rates: Array<{ sandboxId: string; lastHour: number }> = [];
  loaded = false;
  error: BridgeError | null = null;
  readonly revokeErrors = observable.map<string, BridgeError>();
  readonly busy = observable.set<string>();
  readonly #client: WardenClient;
  #loading: Promise<void> | null = null;
  #again = false;

  constructor(client: WardenClient) {
    this.#client = client;
    makeObservable(this, {
      items: observableRef,
      rates: observableRef,
      loaded: observable,
      error: observableRef,
      promptsLastHour: computed,
      onEvent: action,
    });
  }

  /** Prompts in the last hour, all sandboxes together. */
  get promptsLastHour(): number {
    return this.rates.reduce((n, r) => n + r.lastHour, 0);
  }

  /** Reload the history and the rates (one load at a time; a call during one runs once more after it). */
  load(): Promise<void> {
    if (this.#loading) {
      this.#again = true;
      return this.#loading;
    }
    this.#loading = this.#fetch().finally(() => {
      this.#loading = null;
      if (this.#again) {
        this.#again = false;
        void this.load();
      }
    });
    return this.#loading;
  }

  async #fetch(): Promise<void> {
    try {
      const [all, sandboxes] = await Promise.all([
        this.#client.listApprovals({ query: { state: 'all' } }),
        this.#client.listSandboxes(),
      ]);
      runInAction(() => {
        this.items = all
          .filter((a) => a.state !== 'pending' && a.state !== 'reviewing')
          .slice(0, HISTORY_SHOWN);
        this.rates = sandboxes
          .map((s: SandboxView) => ({ sandboxId: s.sandboxId, lastHour: s.promptsLastHour ?? 0 }))
          .filter((r) => r.lastHour > 0)
          .sort((a, b) => b.lastHour - a.lastHour);
        this.error = null;
        this.loaded = true;
      });
    } catch (error) {
      runInAction(() => {
        this.error = toBridgeError(error);
      });
    }
  }

  onEvent(event: WardenEvent): void {
    if (
      event.type === 'approval.pending' ||
      event.type === 'approval.answered' ||
      event.type === 'approval.expired' ||
      event.type === 'approval.cancelled' ||
      event.type === 'approval.revoked'
    )
      void this.load();
  }

  async revoke(id: string): Promise<boolean> {
    runInAction(() => {
      this.busy.add(id);
      this.revokeErrors.delete(id);
    });
    try {
      const view = await this.#client.revokeApproval({ params: { id } });
      runInAction(() => {
        this.items = this.items.map((a) => (a.id === id ? view : a));
      });
      return true;
    } catch (error) {
      runInAction(() => this.revokeErrors.set(id, toBridgeError(error)));
      return false;
    } finally {
      runInAction(() => this.busy.delete(id));
    }
  }
}
