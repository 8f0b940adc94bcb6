// Group commit: producers that can wait for their acknowledgement share one transaction (and
// one fsync) per turn of the event loop. Each promise resolves only after its record is
// committed, so "acknowledged" still means durable in durable mode; a failed commit rejects
// every event of that group with the AuditWriteError.

import type { AuditRecord } from '../api/audit-types.ts';
import type { WardenEvent } from '../api/events.ts';

export interface BatchAppender {
  appendBatch(events: readonly WardenEvent[]): AuditRecord[];
}

interface Pending {
  event: WardenEvent;
  resolve: (record: AuditRecord) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Most events per transaction. Default 2000. */
  maxBatch?: number;
  /** How a flush is scheduled; default setImmediate (after pending I/O callbacks). */
  schedule?: (flush: () => void) => void;
}

export class GroupCommitter {
  readonly #store: BatchAppender;
  readonly #maxBatch: number;
  readonly #schedule: (flush: () => void) => void;
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(store: BatchAppender, options: GroupCommitOptions = {}) {
    this.#store = store;
    this.#maxBatch = Math.max(1, options.maxBatch ?? 2000);
    this.#schedule = options.schedule ?? ((flush) => setImmediate(flush));
  }

  /** Resolves with the record once it is committed. */
  append(event: WardenEvent): Promise<AuditRecord> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        this.#schedule(() => this.#flush());
      }
    });
  }

  /** Events waiting for the next commit. */
  get pending(): number {
    return this.#queue.length;
  }

  #flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const group = this.#queue.splice(0, this.#maxBatch);
      let records: AuditRecord[];
      try {
        records = this.#store.appendBatch(group.map((p) => p.event));
      } catch (error) {
        for (const p of group) p.reject(error);
        continue;
      }
      group.forEach((p, i) => {
        p.resolve(records[i] as AuditRecord);
      });
    }
  }
}
