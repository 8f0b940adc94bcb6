// The audit records of one exchange or tunnel: `request.decided` when the decision is made
// (in the turn the request starts upstream, before any answer can be read), then
// `request.ended` with the outcome and byte counts when it ends, linked by the request id. A
// refusal is decided and ends at once: it gets its `request.decided` only. Open records are
// tracked per listener owner so that closing a listener ends them before the daemon closes
// its audit writer.

import { randomUUID } from 'node:crypto';
import type {
  PackageRef,
  RequestDecidedEvent,
  RequestEndedEvent,
  RequestFacts,
  RequestUsage,
  WardenEvent,
} from '../api/index.ts';
import { shownQuery } from '../approvals/shown-query.ts';
import { interceptedOf, type Via } from './arrival.ts';
import type { OpenExchange, OpenRecords, SandboxContext } from './context.ts';
import type { Verdict } from './decide.ts';
import { isoNow } from './iso-time.ts';

type Decided = Pick<Verdict, 'outcome' | 'rule' | 'reason' | 'decidedBy' | 'approvalId'>;

export class ExchangeRecord implements OpenExchange {
  #id: string | undefined;
  readonly #started = performance.now();
  bytesUp = 0;
  bytesDown = 0;
  /** Brings bytesUp/bytesDown up to date (a spliced tunnel counts from its sockets). */
  countNow?: () => void;
  address?: string;
  status?: number;
  /** A model API request's usage, read when it ends (supervisor/spend). */
  usage?: () => RequestUsage | undefined;
  /** What spec.redact masked or blocked in the request body, by kind (never the values). */
  redactions?: () => Record<string, number>;
  /** The package version an npm tarball request is for (supervisor/packages). */
  package?: PackageRef;
  #decided = false;
  #done = false;

  constructor(
    private readonly sandbox: SandboxContext,
    private readonly emit: (e: WardenEvent) => void,
    readonly facts: RequestFacts,
    /** How the exchange came (`connect` for the CONNECT of a tunnel itself). */
    readonly via: Via | 'connect',
    private readonly open?: OpenRecords,
  ) {}

  /** Its listener is closing: the exchange ends as an error with `reason`. */
  end(reason: string): void {
    this.finish({ outcome: 'error', rule: null, reason, decidedBy: 'proxy' });
  }

  /**
   * Record the decision to let it through: call it in the turn the request is started upstream
   * (the proxy's own client may have written its head already), before any answer is read.
   */
  decide(verdict: Decided): void {
    if (this.#decided || this.#done) return;
    this.#decided = true;
    this.emit(this.#decidedEvent(verdict));
    this.open?.add(this);
  }

  /**
   * End it: a decided exchange gets its `request.ended`; one refused before it was decided
   * gets its only `request.decided`. Later calls are ignored (close and error can both end an
   * exchange).
   */
  finish(verdict: Decided): void {
    if (this.#done) return;
    this.#done = true;
    this.countNow?.();
    this.open?.delete(this);
    if (!this.#decided) {
      this.#decided = true;
      const event = this.#decidedEvent(verdict);
      if (this.status !== undefined) event.status = this.status;
      if (this.package) event.package = this.package;
      this.emit(event);
      return;
    }
    const event: RequestEndedEvent = {
      type: 'request.ended',
      ...this.#common(),
      outcome: verdict.outcome,
      reason: verdict.reason,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
      durationMs: Math.round((performance.now() - this.#started) * 1000) / 1000,
    };
    if (this.address) event.address = this.address;
    if (this.status !== undefined) event.status = this.status;
    const usage = this.usage?.();
    if (usage) event.usage = usage;
    const redactions = this.redactions?.();
    if (redactions && Object.keys(redactions).length > 0) event.redactions = redactions;
    if (this.package) event.package = this.package;
    this.emit(event);
  }

  /** The id linking its records, made when first asked for (after the request is on its way). */
  get id(): string {
    this.#id ??= randomUUID();
    return this.#id;
  }

  get done(): boolean {
    return this.#done;
  }

  /** What both records of the exchange say: its id, who, and the request line. */
  #common() {
    const f = this.facts;
    return {
      id: this.id,
      time: isoNow(),
      sandboxId: this.sandbox.identity.sandboxId,
      user: this.sandbox.identity.user,
      method: f.method,
      scheme: f.scheme,
      host: f.host,
      port: f.port,
      path: f.path,
    };
  }

  #decidedEvent(verdict: Decided): RequestDecidedEvent {
    const f = this.facts;
    const event: RequestDecidedEvent = {
      type: 'request.decided',
      ...this.#common(),
      outcome: verdict.outcome,
      rule: verdict.rule,
      reason: verdict.reason,
      decidedBy: verdict.decidedBy,
    };
    if (f.query) event.query = shownQuery(f.query);
    if (verdict.approvalId) event.approvalId = verdict.approvalId;
    if (this.address) event.address = this.address;
    const intercepted = interceptedOf(this.via);
    if (intercepted !== undefined) event.intercepted = intercepted;
    return event;
  }
}

/** End every open record of a closing listener, so its end is written before the audit writer closes. */
export function endOpenRecords(open: OpenRecords, reason: string): void {
  for (const record of [...open]) record.end(reason);
}
