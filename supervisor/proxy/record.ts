// Builds the one `request.decided` event each exchange or tunnel ends with.

import { randomUUID } from 'node:crypto';
import type { RequestDecidedEvent, RequestFacts } from '../api/index.ts';
import type { SandboxContext } from './context.ts';
import type { Verdict } from './decide.ts';

export class ExchangeRecord {
  readonly id = randomUUID();
  readonly #time = new Date().toISOString();
  readonly #started = performance.now();
  bytesUp = 0;
  bytesDown = 0;
  address?: string;
  status?: number;
  #done = false;

  constructor(
    private readonly sandbox: SandboxContext,
    private readonly emit: (e: RequestDecidedEvent) => void,
    readonly facts: RequestFacts,
    readonly intercepted: boolean | undefined,
  ) {}

  /** Emit once; later calls are ignored (close and error can both end an exchange). */
  finish(verdict: Pick<Verdict, 'outcome' | 'rule' | 'reason' | 'decidedBy' | 'approvalId'>): void {
    if (this.#done) return;
    this.#done = true;
    const f = this.facts;
    const event: RequestDecidedEvent = {
      type: 'request.decided',
      id: this.id,
      time: this.#time,
      sandboxId: this.sandbox.identity.sandboxId,
      user: this.sandbox.identity.user,
      method: f.method,
      scheme: f.scheme,
      host: f.host,
      port: f.port,
      path: f.path,
      outcome: verdict.outcome,
      rule: verdict.rule,
      reason: verdict.reason,
      decidedBy: verdict.decidedBy,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
      durationMs: Math.round((performance.now() - this.#started) * 1000) / 1000,
    };
    if (verdict.approvalId) event.approvalId = verdict.approvalId;
    if (this.address) event.address = this.address;
    if (this.intercepted !== undefined) event.intercepted = this.intercepted;
    if (this.status !== undefined) event.status = this.status;
    this.emit(event);
  }

  get done(): boolean {
    return this.#done;
  }
}
