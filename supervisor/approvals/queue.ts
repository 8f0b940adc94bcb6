// Pending approvals: a request the policy answered with `ask` waits here until a human
// answers or the timeout denies it. Identical requests waiting at the same time share one
// approval (the query too: a request carrying data never rides on an innocent one's
// answer); an "always" answer adds a rule to the sandbox's session layer and releases
// every other pending request that the new rule now decides.

import { randomUUID } from 'node:crypto';
import { WardenError } from '../api/errors.ts';
import type {
  ApprovalDecision,
  ApprovalScope,
  ApprovalView,
  Identity,
  McpCallView,
  RequestFacts,
  RuleRef,
  WardenEvent,
} from '../api/index.ts';
import type { AnswerApprovalRequest, AnswerApprovalResponse } from '../api/messages.ts';
import type { PolicyDiff } from '../api/policy-types.ts';
import { shownQuery } from './shown-query.ts';

export type ApprovalOutcome =
  | { kind: 'answered'; approvalId: string; decision: ApprovalDecision; scope: ApprovalScope; by: string }
  | { kind: 'expired'; approvalId: string; timeoutSeconds: number }
  | { kind: 'cancelled'; approvalId: string; reason: string };

export interface ApprovalAsk {
  identity: Identity;
  facts: RequestFacts;
  reason: string;
  rule: RuleRef | null;
  suggestedRule: ApprovalView['suggestedRule'];
  timeoutSeconds: number;
  signal?: AbortSignal;
  /** An MCP call held by spec.mcp: its card shows the call; it is answered once only. */
  mcp?: McpCallView;
}

export interface ApprovalQueueDeps {
  emit: (event: WardenEvent) => void;
  /**
   * Add a rule for `always` answers to the sandbox's session layer; returns the diff.
   * `by` answered; `request` is what asked (the diff's first example).
   */
  addSessionRule: (
    sandboxId: string,
    rule: ApprovalView['suggestedRule'],
    action: ApprovalDecision,
    by: string,
    request: RequestFacts,
  ) => PolicyDiff;
  /** The diff an `always` answer would apply, changing nothing. */
  previewSessionRule?: (
    sandboxId: string,
    rule: ApprovalView['suggestedRule'],
    action: ApprovalDecision,
    request: RequestFacts,
  ) => PolicyDiff;
  /** Re-decide a request against the sandbox's current policy (after an `always`). */
  redecide: (sandboxId: string, facts: RequestFacts) => 'allow' | 'deny' | 'ask';
  now?: () => number;
}

interface Pending {
  view: ApprovalView;
  facts: RequestFacts;
  timeoutSeconds: number;
  waiters: Set<(outcome: ApprovalOutcome) => void>;
  timer: NodeJS.Timeout;
}

export class ApprovalNotFoundError extends WardenError {
  constructor(id: string) {
    super(
      'ApprovalNotFound',
      `no pending approval ${id}: it was answered, expired, or never existed`,
      'list what is waiting with: warden approvals',
    );
  }
}

/** Requests wait on one approval only when their whole request line is the same, query included. */
function dedupeKey(identity: Identity, f: RequestFacts, mcp?: McpCallView): string {
  return [
    identity.sandboxId,
    f.method.toUpperCase(),
    f.scheme,
    f.host,
    f.port,
    f.path,
    f.query ?? '',
    // MCP calls share one URL: only the same call with the same arguments shares an approval.
    mcp ? JSON.stringify([mcp.server, mcp.method, mcp.name, mcp.arguments ?? null, mcp.argumentBytes]) : '',
  ].join('\u0000');
}

export class ApprovalQueue {
  readonly #deps: ApprovalQueueDeps;
  readonly #byId = new Map<string, Pending>();
  readonly #byKey = new Map<string, Pending>();
  readonly #now: () => number;

  constructor(deps: ApprovalQueueDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  list(): ApprovalView[] {
    return [...this.#byId.values()].map((p) => ({ ...p.view, waiting: p.waiters.size }));
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Hold a request until it is answered, expires, or its client goes away. */
  request(ask: ApprovalAsk): Promise<ApprovalOutcome> {
    const key = dedupeKey(ask.identity, ask.facts, ask.mcp);
    let pending = this.#byKey.get(key);
    if (!pending) pending = this.#create(key, ask);
    const p = pending;
    return new Promise((resolve) => {
      const waiter = (outcome: ApprovalOutcome) => {
        ask.signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const onAbort = () => {
        p.waiters.delete(waiter);
        resolve({ kind: 'cancelled', approvalId: p.view.id, reason: 'the client went away while waiting' });
      };
      if (ask.signal?.aborted) return onAbort();
      ask.signal?.addEventListener('abort', onAbort, { once: true });
      p.waiters.add(waiter);
    });
  }

  answer(id: string, answer: AnswerApprovalRequest, by: string): AnswerApprovalResponse {
    const pending = this.#byId.get(id);
    if (!pending) throw new ApprovalNotFoundError(id);
    if (answer.scope === 'always' && pending.view.mcp) {
      throw new WardenError(
        'BadRequest',
        `approval ${id} holds an MCP call (${pending.view.mcp.method} "${pending.view.mcp.name}"), which is answered once only`,
        'answer it with scope once; to decide it always, add a rule under spec.mcp in the policy',
      );
    }
    const view = { ...pending.view, waiting: pending.waiters.size };
    let diff: PolicyDiff | undefined;
    if (answer.scope === 'always') {
      const rule = answer.rule ?? pending.view.suggestedRule;
      diff = this.#deps.addSessionRule(pending.view.sandboxId, rule, answer.decision, by, pending.facts);
    }
    this.#settle(pending, {
      kind: 'answered',
      approvalId: id,
      decision: answer.decision,
      scope: answer.scope,
      by,
    });
    if (answer.scope === 'always') this.#releaseDecidedBy(pending.view.sandboxId, by);
    return diff ? { approval: view, diff } : { approval: view };
  }

  /** The policy diff an `always` answer would apply; nothing changes. */
  preview(
    id: string,
    answer: { decision: ApprovalDecision; rule?: ApprovalView['suggestedRule'] },
  ): PolicyDiff {
    const pending = this.#byId.get(id);
    if (!pending) throw new ApprovalNotFoundError(id);
    if (!this.#deps.previewSessionRule) throw new Error('this queue cannot preview answers');
    const rule = answer.rule ?? pending.view.suggestedRule;
    return this.#deps.previewSessionRule(pending.view.sandboxId, rule, answer.decision, pending.facts);
  }

  /** Deny everything a sandbox is waiting for (its listener is going away). */
  cancelSandbox(sandboxId: string, reason: string): void {
    for (const p of [...this.#byId.values()]) if (p.view.sandboxId === sandboxId) this.#cancel(p, reason);
  }

  cancelAll(reason: string): void {
    for (const p of [...this.#byId.values()]) this.#cancel(p, reason);
  }

  #create(key: string, ask: ApprovalAsk): Pending {
    const now = this.#now();
    const f = ask.facts;
    const view: ApprovalView = {
      id: randomUUID(),
      sandboxId: ask.identity.sandboxId,
      user: ask.identity.user,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ask.timeoutSeconds * 1000).toISOString(),
      method: f.method,
      scheme: f.scheme,
      host: f.host,
      port: f.port,
      path: f.path,
      ...(f.query ? { query: shownQuery(f.query) } : {}),
      reason: ask.reason,
      rule: ask.rule,
      suggestedRule: ask.suggestedRule,
      waiting: 0,
      ...(ask.mcp ? { mcp: ask.mcp } : {}),
    };
    const pending: Pending = {
      view,
      facts: f,
      timeoutSeconds: ask.timeoutSeconds,
      waiters: new Set(),
      timer: setTimeout(() => this.#expire(pending), ask.timeoutSeconds * 1000),
    };
    this.#byId.set(view.id, pending);
    this.#byKey.set(key, pending);
    this.#deps.emit({
      type: 'approval.pending',
      time: view.createdAt,
      sandboxId: view.sandboxId,
      user: view.user,
      approval: view,
    });
    return pending;
  }

  #expire(p: Pending): void {
    if (!this.#byId.has(p.view.id)) return;
    const v = p.view;
    this.#deps.emit({
      type: 'approval.expired',
      ...this.#about(v),
      timeoutSeconds: p.timeoutSeconds,
    });
    this.#finish(p, { kind: 'expired', approvalId: v.id, timeoutSeconds: p.timeoutSeconds });
  }

  /** Nobody can answer it any more: say so (clients drop its card), then refuse its waiters. */
  #cancel(p: Pending, reason: string): void {
    const v = p.view;
    this.#deps.emit({
      type: 'approval.cancelled',
      ...this.#about(v),
      reason,
    });
    this.#finish(p, { kind: 'cancelled', approvalId: v.id, reason });
  }

  #settle(p: Pending, outcome: Extract<ApprovalOutcome, { kind: 'answered' }>): void {
    const v = p.view;
    this.#deps.emit({
      type: 'approval.answered',
      ...this.#about(v),
      decision: outcome.decision,
      scope: outcome.scope,
      by: outcome.by,
    });
    this.#finish(p, outcome);
  }

  /** What every event about an approval says: when, whose, which, and its request line. */
  #about(v: ApprovalView) {
    return {
      time: new Date(this.#now()).toISOString(),
      sandboxId: v.sandboxId,
      user: v.user,
      approvalId: v.id,
      method: v.method,
      host: v.host,
      path: v.path,
      ...(v.query !== undefined ? { query: v.query } : {}),
    };
  }

  #finish(p: Pending, outcome: ApprovalOutcome): void {
    clearTimeout(p.timer);
    this.#byId.delete(p.view.id);
    for (const [key, value] of this.#byKey) if (value === p) this.#byKey.delete(key);
    for (const waiter of p.waiters) waiter(outcome);
    p.waiters.clear();
  }

  #releaseDecidedBy(sandboxId: string, by: string): void {
    for (const p of [...this.#byId.values()]) {
      if (p.view.sandboxId !== sandboxId) continue;
      // A new network rule does not decide an MCP call.
      if (p.view.mcp) continue;
      const action = this.#deps.redecide(sandboxId, p.facts);
      if (action === 'ask') continue;
      this.#settle(p, { kind: 'answered', approvalId: p.view.id, decision: action, scope: 'always', by });
    }
  }
}
