// Every sandbox's traffic since the daemon started, tallied from the events the proxy emits:
// requests decided, and bytes up and down when each exchange ends. Bounded: a removed
// sandbox's counts are dropped with it.

import type { WardenEvent } from '../api/events.ts';

export interface TrafficCounts {
  requests: number;
  bytesUp: number;
  bytesDown: number;
}

export class SandboxTraffic {
  readonly #counts = new Map<string, TrafficCounts>();

  #of(sandboxId: string): TrafficCounts {
    let c = this.#counts.get(sandboxId);
    if (!c) {
      c = { requests: 0, bytesUp: 0, bytesDown: 0 };
      this.#counts.set(sandboxId, c);
    }
    return c;
  }

  record(event: WardenEvent): void {
    if (event.type === 'request.decided') {
      const c = this.#of(event.sandboxId);
      c.requests++;
      // Records from before request.ended existed carry their bytes here.
      c.bytesUp += event.bytesUp ?? 0;
      c.bytesDown += event.bytesDown ?? 0;
    } else if (event.type === 'request.ended') {
      const c = this.#of(event.sandboxId);
      c.bytesUp += event.bytesUp;
      c.bytesDown += event.bytesDown;
    } else if (
      event.type === 'user.action' &&
      /^(sandbox|listener)\.(remove|stop)/.test(event.action) &&
      event.sandboxId
    ) {
      this.#counts.delete(event.sandboxId);
    }
  }

  get(sandboxId: string): TrafficCounts {
    return { ...(this.#counts.get(sandboxId) ?? { requests: 0, bytesUp: 0, bytesDown: 0 }) };
  }
}
