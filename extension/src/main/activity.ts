// The live activity main keeps for the renderer: the last ACTIVITY_ROWS decided requests,
// newest first, each filled in by its request.ended (same id) when that comes.

import type { RequestDecidedEvent, WardenEvent } from '../../../supervisor/api/events.ts';
import { ACTIVITY_ROWS, type ActivityRow } from '../common/ipc.ts';

function ruleText(e: RequestDecidedEvent): string {
  if (e.rule) return `${e.rule.layer} rule ${e.rule.index + 1}: ${e.rule.action} ${e.rule.match}`;
  return e.decidedBy === 'approval' ? 'your answer' : e.decidedBy === 'proxy' ? 'the proxy' : 'the default';
}

export class ActivityFeed {
  readonly #capacity: number;
  /** Newest last (cheap to append); rows() reverses. */
  #rows: ActivityRow[] = [];
  readonly #byId = new Map<string, ActivityRow>();

  constructor(capacity = ACTIVITY_ROWS) {
    this.#capacity = capacity;
  }

  rows(): ActivityRow[] {
    return this.#rows.slice().reverse();
  }

  clear(): void {
    this.#rows = [];
    this.#byId.clear();
  }

  /** Apply one event; returns whether the rows changed. */
  apply(event: WardenEvent): boolean {
    if (event.type === 'request.decided') {
      const row: ActivityRow = {
        id: event.id,
        time: event.time,
        sandboxId: event.sandboxId,
        method: event.method,
        scheme: event.scheme,
        host: event.host,
        port: event.port,
        path: event.path,
        outcome: event.outcome,
        decidedBy: event.decidedBy,
        rule: ruleText(event),
        reason: event.reason,
        ...(event.status !== undefined ? { status: event.status } : {}),
      };
      this.#rows.push(row);
      this.#byId.set(row.id, row);
      if (this.#rows.length > this.#capacity) {
        const dropped = this.#rows.splice(0, this.#rows.length - this.#capacity);
        for (const d of dropped) if (this.#byId.get(d.id) === d) this.#byId.delete(d.id);
      }
      return true;
    }
    if (event.type === 'request.ended') {
      const row = this.#byId.get(event.id);
      if (!row) return false;
      const ended: ActivityRow = { ...row, outcome: event.outcome, bytes: event.bytesUp + event.bytesDown };
      if (event.status !== undefined) ended.status = event.status;
      if (event.outcome !== 'allowed') ended.reason = event.reason;
      this.#rows[this.#rows.indexOf(row)] = ended;
      this.#byId.set(row.id, ended);
      return true;
    }
    return false;
  }
}
