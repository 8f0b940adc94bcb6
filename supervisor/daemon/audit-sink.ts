// How the daemon feeds the audit store. Events someone waits on (an answer, a policy
// change, a user action) are committed synchronously inside `emit`, so when the API call
// that caused them returns, they are on disk. The high-volume `request.decided` records,
// which are emitted after their exchange has ended and which nobody waits on, are queued
// and committed together at the end of the event-loop turn: one transaction for many
// requests instead of one each. Order is kept: a synchronous event first flushes the queue.

import type { WardenEvent } from '../api/index.ts';
import type { AuditStore } from '../audit/index.ts';
import type { EventBus } from '../events/index.ts';

const MAX_QUEUE = 5_000;

export class AuditSink {
  readonly #store: AuditStore;
  readonly #onError: (error: unknown) => void;
  #queue: WardenEvent[] = [];
  #scheduled: NodeJS.Immediate | undefined;

  constructor(store: AuditStore, onError: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  attach(bus: EventBus): () => void {
    const dispose = bus.subscribe((event) => this.take(event));
    return () => {
      dispose();
      this.flush();
    };
  }

  take(event: WardenEvent): void {
    if (event.type === 'request.decided') {
      this.#queue.push(event);
      if (this.#queue.length >= MAX_QUEUE) this.flush();
      else this.#scheduled ??= setImmediate(() => this.flush());
      return;
    }
    this.flush();
    // Throws on failure: the bus reports it, and the store's fault makes the proxy fail closed.
    this.#store.append(event);
  }

  /** Commit every queued record now. */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    try {
      this.#store.appendBatch(batch);
    } catch (error) {
      this.#onError(error);
    }
  }
}
