// Every event the supervisor emits. The audit store and the API's live stream both
// subscribe to the same bus; nothing else decides what happened.

import type { AgentPin } from './agent-types.ts';
import type { LifecycleState } from './lifecycle.ts';
import type { Action, Decision, LayerName, PolicyDiff, RuleRef, Scheme } from './policy-types.ts';
import type { RequestUsage } from './spend.ts';
import type { TaskEvent } from './tasks.ts';

/** Who a record is about: the sandbox (agent) and the human who started it. */
export interface Identity {
  sandboxId: string;
  user: string;
}

export type RequestOutcome = 'allowed' | 'denied' | 'timed_out' | 'error';

/**
 * A request or tunnel decided: emitted when the decision is made, before the first byte goes
 * upstream. A refusal ends here (its `status` is the refusal's); an allowed exchange is
 * followed by one `request.ended` with the same `id`. Records written before `request.ended`
 * existed were emitted at the end instead and carry the byte counts and duration.
 */
export interface RequestDecidedEvent extends Identity {
  type: 'request.decided';
  /** The request's id, shared with its `request.ended`. */
  id: string;
  time: string;
  method: string;
  scheme: Scheme;
  host: string;
  port: number;
  path: string;
  /** The query (without `?`) as the client sent it, cut when long (absent when none). */
  query?: string;
  /** The address actually connected to, after DNS (absent when never connected). */
  address?: string;
  outcome: RequestOutcome;
  /** The rule that decided, null when the default (or an approval) did. */
  rule: RuleRef | null;
  reason: string;
  /** How the request was decided: by policy, by a human answer, or by the proxy itself. */
  decidedBy: 'policy' | 'approval' | 'proxy';
  approvalId?: string;
  /** TLS terminated by the proxy (true) or tunnel spliced (false); absent for plain HTTP. */
  intercepted?: boolean;
  status?: number;
  /** Only on records from before `request.ended` existed (the end is recorded there now). */
  bytesUp?: number;
  bytesDown?: number;
  durationMs?: number;
}

/** How an allowed request or tunnel ended: its outcome and traffic, linked to its decision by `id`. */
export interface RequestEndedEvent extends Identity {
  type: 'request.ended';
  /** The `id` of the exchange's `request.decided`. */
  id: string;
  /** When it ended. */
  time: string;
  method: string;
  scheme: Scheme;
  host: string;
  port: number;
  path: string;
  address?: string;
  /** allowed: it ran to its end; error: it failed or was cut (the reason says how); denied: stopped midway. */
  outcome: RequestOutcome;
  reason: string;
  status?: number;
  bytesUp: number;
  bytesDown: number;
  /** From the request's arrival to its end. */
  durationMs: number;
  /** A model API request's token usage and cost, read from its answer (supervisor/spend). */
  usage?: RequestUsage;
}

export interface ApprovalView extends Identity {
  id: string;
  createdAt: string;
  expiresAt: string;
  method: string;
  scheme: Scheme;
  host: string;
  port: number;
  path: string;
  /** The query (without `?`) as shown to a human: control characters escaped, long ones cut. */
  query?: string;
  /** Why the policy asked (the rule with action ask, or the default). */
  reason: string;
  rule: RuleRef | null;
  /** The rule an "always" answer would add to the session layer. */
  suggestedRule: { match: string; methods?: string[]; paths?: string[] };
  /** How many identical requests (same method, URL and query) are waiting on this approval. */
  waiting: number;
}

export type ApprovalDecision = 'allow' | 'deny';
export type ApprovalScope = 'once' | 'always';

export interface ApprovalPendingEvent extends Identity {
  type: 'approval.pending';
  time: string;
  approval: ApprovalView;
}

export interface ApprovalAnsweredEvent extends Identity {
  type: 'approval.answered';
  time: string;
  approvalId: string;
  decision: ApprovalDecision;
  scope: ApprovalScope;
  /** The human who answered. */
  by: string;
  method: string;
  host: string;
  path: string;
  /** As shown on the approval (absent on records written before queries were shown). */
  query?: string;
}

export interface ApprovalExpiredEvent extends Identity {
  type: 'approval.expired';
  time: string;
  approvalId: string;
  method: string;
  host: string;
  path: string;
  /** As shown on the approval (absent on records written before queries were shown). */
  query?: string;
  timeoutSeconds: number;
}

/**
 * An approval nobody can answer any more: its sandbox was removed or the daemon is stopping.
 * The requests waiting on it are refused (their `request.decided` says so); clients drop its card.
 */
export interface ApprovalCancelledEvent extends Identity {
  type: 'approval.cancelled';
  time: string;
  approvalId: string;
  method: string;
  host: string;
  path: string;
  /** As shown on the approval. */
  query?: string;
  /** Why it was cancelled, e.g. `sandbox sb-1 was removed`. */
  reason: string;
}

export interface SecretInjectedEvent extends Identity {
  type: 'secret.injected';
  time: string;
  /** Secret name only: never its value. */
  secret: string;
  host: string;
}

export interface SecretExfiltrationBlockedEvent extends Identity {
  type: 'secret.exfiltration_blocked';
  time: string;
  secret: string;
  host: string;
  /** Where the placeholder was found: header name, `url` or `body`. */
  where: string;
  method: string;
  path: string;
}

/**
 * A real secret value came back from a bound host (an echo of the request, say) and was
 * overwritten before it reached the agent. Never carries the value or where in the text it was.
 */
export interface SecretRedactedEvent extends Identity {
  type: 'secret.redacted';
  time: string;
  secret: string;
  host: string;
  /** `header:NAME`, `body` or `websocket`. */
  where: string;
  method: string;
  path: string;
}

export interface PolicyChangedEvent {
  type: 'policy.changed';
  time: string;
  /** Sandbox whose layer changed; absent for the base layer (all sandboxes). */
  sandboxId?: string;
  user: string;
  layer: LayerName;
  source: string;
  diff: PolicyDiff;
}

/** The state of a sandbox's VM. */
export type SandboxState = LifecycleState;

export interface SandboxStateEvent extends Identity {
  type: 'sandbox.state';
  time: string;
  state: SandboxState;
  previous: SandboxState;
  reason?: string;
  /** The managed agents on the sandbox's PATH, pinned (name, package, version, integrity). */
  agents?: AgentPin[];
}

export interface DaemonEvent {
  type: 'daemon.started' | 'daemon.stopping';
  time: string;
  user: string;
  pid: number;
  version: string;
}

export interface UserActionEvent {
  type: 'user.action';
  time: string;
  user: string;
  /** e.g. `secret.set`, `secret.remove`, `listener.create`, `listener.remove`. */
  action: string;
  target: string;
  sandboxId?: string;
}

export type WardenEvent =
  | RequestDecidedEvent
  | RequestEndedEvent
  | ApprovalPendingEvent
  | ApprovalAnsweredEvent
  | ApprovalExpiredEvent
  | ApprovalCancelledEvent
  | SecretInjectedEvent
  | SecretExfiltrationBlockedEvent
  | SecretRedactedEvent
  | PolicyChangedEvent
  | SandboxStateEvent
  | DaemonEvent
  | UserActionEvent;

export type WardenEventType = WardenEvent['type'];

/** What the live stream carries for a client that asks for tasks too (`?tasks=1`). */
export type LiveEvent = WardenEvent | TaskEvent;

export function isTaskEvent(event: LiveEvent): event is TaskEvent {
  return event.type === 'task.updated';
}

/** Re-exported so clients that render decisions need one import. */
export type { Action, Decision };
