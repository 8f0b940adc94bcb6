// Pending approvals: a request the policy answered with `ask` waits here until a human
// answers or the timeout denies it. Identical requests waiting at the same time share one
// approval (the query too: a request carrying data never rides on an innocent one's
// answer); an "always" answer adds a rule to the sandbox's session layer and releases
// every other pending request that the new rule now decides. A reviewer hook, when set, sees
// each approval first. Closed approvals stay listed (bounded); an "always" answer can be
// revoked. Every answer says who gave it, with which tool, and when.

import { randomUUID } from 'node:crypto';
import type { AnswerSource, ApprovalStateFilter } from '../api/approval-types.ts';
import { WardenError } from '../api/errors.ts';
import type { ApprovalDecision, ApprovalView, RequestFacts } from '../api/index.ts';
import type { AnswerApprovalRequest, AnswerApprovalResponse } from '../api/messages.ts';
import type { PolicyDiff } from '../api/policy-types.ts';
import { checkAnswer, dedupeKey } from './answer-rules.ts';
import { ApprovalHistory, type WrittenRule } from './history.ts';
import { PromptRate } from './prompt-rate.ts';
import { ApprovalNotFoundError, closedError } from './queue-errors.ts';
import type { Answerer, ApprovalAsk, ApprovalOutcome, ApprovalQueueDeps } from './queue-types.ts';
import type { ReviewOutcome } from './reviewer-hook.ts';
import { shownQuery } from './shown-query.ts';

export { ApprovalNotFoundError } from './queue-errors.ts';
export type { Answerer, ApprovalAsk, ApprovalOutcome, ApprovalQueueDeps } from './queue-types.ts';

interface Pending {
  view: ApprovalView;
  facts: RequestFacts;
  timeoutSeconds: number;
  waiters: Set<(outcome: ApprovalOutcome) => void>;
  timer: NodeJS.Timeout;
  /** The rule an `always` answer wrote (kept for revocation). */
  written?: WrittenRule;
  /** Aborts the reviewer hook's run when the approval closes first. */
  reviewing?: AbortController;
}

export class ApprovalQueue {
  readonly #deps: ApprovalQueueDeps;
  readonly #byId = new Map<string, Pending>();
  readonly #byKey = new Map<string, Pending>();
  readonly #history: ApprovalHistory;
  readonly #rate: PromptRate;
  readonly #now: () => number;

  constructor(deps: ApprovalQueueDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#history = new ApprovalHistory(deps.historyLimit);
    this.#rate = new PromptRate(this.#now);
  }

  /** What waits for a human (default), or the history: one state, or everything (newest closed first). */
  list(state: ApprovalStateFilter = 'pending'): ApprovalView[] {
    const open = [...this.#byId.values()].map((p) => ({ ...p.view, waiting: p.waiters.size }));
    if (state === 'pending') return open.filter((v) => v.state === 'pending');
    if (state === 'all') return [...open, ...this.#history.list()];
    return this.#history.list().filter((v) => v.state === state);
  }

  /** Approvals waiting for a human. */
  get size(): number {
    let n = 0;
    for (const p of this.#byId.values()) if (p.view.state === 'pending') n++;
    return n;
  }

  /** Prompts a human saw in the last hour from this sandbox. */
  promptsLastHour(sandboxId: string): number {
    return this.#rate.lastHour(sandboxId);
  }

  /** Every sandbox's prompts in the last hour (those with none are left out). */
  promptRates(): Array<{ sandboxId: string; lastHour: number }> {
    return this.#rate.all();
  }

  /** Hold a request until it is answered, expires, or its client goes away. */
  request(ask: ApprovalAsk): Promise<ApprovalOutcome> {
    const key = dedupeKey(ask.identity, ask.facts, ask.mcp, ask.budget !== undefined, ask.package);
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

  /** Answer a waiting approval. `who` is a principal name (client `api`) or the full answerer. */
  answer(id: string, answer: AnswerApprovalRequest, who: string | Answerer): AnswerApprovalResponse {
    const from: Answerer = typeof who === 'string' ? { by: who, client: 'api' } : who;
    const pending = this.#byId.get(id);
    if (!pending) {
      const closed = this.#history.get(id);
      throw closed ? closedError(closed.view) : new ApprovalNotFoundError(id);
    }
    checkAnswer(pending.view, answer.scope, from);
    let diff: PolicyDiff | undefined;
    if (answer.scope === 'always') {
      const rule = answer.rule ?? pending.view.suggestedRule;
      diff = this.#deps.addSessionRule(pending.view.sandboxId, rule, answer.decision, from.by, pending.facts);
      pending.written = { rule, action: answer.decision };
    }
    const waiting = pending.waiters.size;
    const outcome = {
      kind: 'answered' as const,
      approvalId: id,
      decision: answer.decision,
      scope: answer.scope,
      by: from.by,
      ...(from.reason ? { reason: from.reason } : {}),
    };
    const view = { ...this.#settle(pending, outcome, from.client), waiting };
    if (answer.scope === 'always') this.#releaseDecidedBy(pending.view.sandboxId, from);
    return diff ? { approval: view, diff } : { approval: view };
  }

  /** Take back an `always` answer: remove the session rule it wrote, on the record. */
  revoke(id: string, by: string, client: AnswerSource): ApprovalView {
    const entry = this.#history.get(id);
    if (!entry) {
      if (this.#byId.has(id))
        throw new WardenError(
          'ApprovalClosed',
          `approval ${id} is still waiting: answer it instead`,
          `warden approve ${id} or warden deny ${id}`,
        );
      throw new ApprovalNotFoundError(id);
    }
    const v = entry.view;
    if (!entry.written || !v.answer)
      throw new WardenError(
        'ApprovalClosed',
        `approval ${id} has no "always" answer to revoke`,
        'only an "always" answer writes a rule that can be taken back',
      );
    if (v.revoked)
      throw new WardenError(
        'ApprovalClosed',
        `approval ${id} was already revoked by ${v.revoked.by} at ${v.revoked.at}`,
        'nothing to do',
      );
    let ruleRemoved = false;
    try {
      ruleRemoved =
        this.#deps.removeSessionRule?.(v.sandboxId, entry.written.rule, entry.written.action, by) ?? false;
    } catch (error) {
      if ((error as WardenError).name !== 'SandboxNotFound') throw error;
    }
    const at = new Date(this.#now()).toISOString();
    const revoked = { by, client, at, ruleRemoved };
    entry.view = { ...v, revoked, answer: { ...v.answer, revocable: false } };
    this.#deps.emit({
      type: 'approval.revoked',
      ...this.#about(v),
      by,
      client,
      decision: entry.written.action,
      ruleRemoved,
    });
    return entry.view;
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
      state: 'pending',
      ...(ask.mcp ? { mcp: ask.mcp } : {}),
      ...(ask.budget ? { budget: ask.budget } : {}),
      ...(ask.approver ? { approver: ask.approver } : {}),
      ...(ask.package ? { package: ask.package } : {}),
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
    // IT's approvals go to the hub as they are: no reviewer hook answers in IT's place.
    const reviewing = new AbortController();
    const verdict = ask.approver
      ? undefined
      : this.#deps.review?.({ ...view, state: 'reviewing' }, reviewing.signal);
    if (verdict) this.#review(pending, verdict, reviewing);
    else this.#show(pending);
    return pending;
  }

  /** The reviewer hook sees it first: allow and deny settle it, ask shows it to the humans. */
  #review(p: Pending, running: Promise<ReviewOutcome>, reviewing: AbortController): void {
    p.view = { ...p.view, state: 'reviewing' };
    p.reviewing = reviewing;
    const verdict = running.catch(
      (error: Error): ReviewOutcome => ({
        decision: 'deny',
        reason: `reviewer hook failed (${error.message}): denied`,
        failed: true,
      }),
    );
    void verdict.then((v) => {
      if (this.#byId.get(p.view.id) !== p || p.view.state !== 'reviewing') return;
      if (v.decision === 'ask') return this.#show(p);
      const reason = v.reason ?? `the reviewer hook answered ${v.decision}`;
      this.#settle(
        p,
        {
          kind: 'answered',
          approvalId: p.view.id,
          decision: v.decision,
          scope: 'once',
          by: 'reviewer-hook',
          reason,
        },
        'reviewer-hook',
      );
    });
  }

  /** In front of the humans: the card appears, and it counts toward the sandbox's prompt rate. */
  #show(p: Pending): void {
    p.view = { ...p.view, state: 'pending' };
    this.#rate.record(p.view.sandboxId);
    this.#deps.emit({
      type: 'approval.pending',
      time: new Date(this.#now()).toISOString(),
      sandboxId: p.view.sandboxId,
      user: p.view.user,
      approval: p.view,
    });
    if (p.view.approver === 'it') this.#deps.itPending?.(p.view);
  }

  #expire(p: Pending): void {
    if (!this.#byId.has(p.view.id)) return;
    const v = p.view;
    this.#deps.emit({
      type: 'approval.expired',
      ...this.#about(v),
      timeoutSeconds: p.timeoutSeconds,
    });
    const why = v.approver === 'it' ? this.#deps.itExpired?.(v) : undefined;
    this.#finish(
      p,
      { kind: 'expired', approvalId: v.id, timeoutSeconds: p.timeoutSeconds, ...(why ? { why } : {}) },
      { state: 'expired', ...(why ? { cancelReason: why } : {}) },
    );
  }

  /** Nobody can answer it any more: say so (clients drop its card), then refuse its waiters. */
  #cancel(p: Pending, reason: string): void {
    const v = p.view;
    this.#deps.emit({
      type: 'approval.cancelled',
      ...this.#about(v),
      reason,
    });
    this.#finish(
      p,
      { kind: 'cancelled', approvalId: v.id, reason },
      { state: 'cancelled', cancelReason: reason },
    );
  }

  /** Record the answer (event, then history) and release its waiters; the closed view. */
  #settle(
    p: Pending,
    outcome: Extract<ApprovalOutcome, { kind: 'answered' }>,
    client: AnswerSource,
  ): ApprovalView {
    const v = p.view;
    const at = new Date(this.#now()).toISOString();
    this.#deps.emit({
      type: 'approval.answered',
      ...this.#about(v),
      time: at,
      decision: outcome.decision,
      scope: outcome.scope,
      by: outcome.by,
      client,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
    });
    const answer = {
      decision: outcome.decision,
      scope: outcome.scope,
      by: outcome.by,
      client,
      at,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      ...(p.written ? { revocable: true } : {}),
    };
    return this.#finish(p, outcome, { state: 'answered', answer });
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

  #finish(p: Pending, outcome: ApprovalOutcome, close: Partial<ApprovalView>): ApprovalView {
    clearTimeout(p.timer);
    p.reviewing?.abort();
    this.#byId.delete(p.view.id);
    for (const [key, value] of this.#byKey) if (value === p) this.#byKey.delete(key);
    const closed: ApprovalView = {
      ...p.view,
      waiting: 0,
      closedAt: new Date(this.#now()).toISOString(),
      ...close,
    };
    this.#history.add({ view: closed, ...(p.written ? { written: p.written } : {}) });
    for (const waiter of p.waiters) waiter(outcome);
    p.waiters.clear();
    return closed;
  }

  #releaseDecidedBy(sandboxId: string, from: Answerer): void {
    for (const p of [...this.#byId.values()]) {
      if (p.view.sandboxId !== sandboxId) continue;
      // A new network rule does not decide an MCP call.
      if (p.view.mcp || p.view.budget || p.view.package) continue;
      const action = this.#deps.redecide(sandboxId, p.facts);
      if (action === 'ask') continue;
      this.#settle(
        p,
        { kind: 'answered', approvalId: p.view.id, decision: action, scope: 'always', by: from.by },
        from.client,
      );
    }
  }
}
