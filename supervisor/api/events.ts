// Every event the supervisor emits. The audit store and the API's live stream both
// subscribe to the same bus; nothing else decides what happened.

import type { AgentPin } from './agent-types.ts';
import type {
  AnswerSource,
  ApprovalAnswerView,
  ApprovalRevocationView,
  ApprovalState,
} from './approval-types.ts';
import type { LifecycleState } from './lifecycle.ts';
import type { Action, Decision, LayerName, PolicyDiff, RuleRef, Scheme } from './policy-types.ts';
import type { BudgetHoldView, RequestUsage } from './spend.ts';
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
  /** The package version an npm tarball request was for (refused ones: supervisor/packages). */
  package?: PackageRef;
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
  /**
   * What `spec.redact` found in the request body, by detector or custom rule name, and how
   * many times (masked, or the one that blocked it); never the values.
   */
  redactions?: Record<string, number>;
  /** The package version an npm tarball fetched was, with its integrity (supervisor/packages). */
  package?: PackageRef;
}

/** One version of a package from a registry (an npm tarball request is for one). */
export interface PackageRef {
  ecosystem: 'npm';
  name: string;
  version: string;
  /** `sha512-…` of the bytes fetched, or the packument's `dist.integrity` when the fetch was cut. */
  integrity?: string;
  /** When the registry says the version was published (ISO-8601). */
  publishedAt?: string;
}

/** What a package approval card shows: the version held and why. */
export interface PackageHoldView extends PackageRef {
  /** The registry host. */
  registry: string;
  /** Why it was held: "has an install script (postinstall)", "first time on this device". */
  why: string;
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
  /** Where it is (absent on views from before the inbox kept history: pending). */
  state?: ApprovalState;
  /** When it left the inbox (answered, expired or cancelled). */
  closedAt?: string;
  /** Who answered, from where, when. */
  answer?: ApprovalAnswerView;
  /** An `always` answer taken back. */
  revoked?: ApprovalRevocationView;
  /** Why it was cancelled. */
  cancelReason?: string;
  /** An MCP call held by `spec.mcp` (the card shows it instead of a URL); answered once only. */
  mcp?: McpCallView;
  /** A model API request held at a budget with `action: ask`; answered once only. */
  budget?: BudgetHoldView;
  /** `it`: an organisation rule sends it to IT on the team hub; only the hub's answer counts. */
  approver?: 'it';
  /** A package version held by spec.packages (the card shows it); answered once only. */
  package?: PackageHoldView;
}

/** What an MCP approval card shows: the server, what is called, and its arguments. */
export interface McpCallView {
  /** The server's name from the policy (or its host and path). */
  server: string;
  /** tools/call, resources/read or prompts/get. */
  method: McpMethod;
  /** The tool or prompt name, or the resource URI. */
  name: string;
  /** The arguments as JSON, cut at a few KB, with vault secrets and placeholders masked. */
  arguments?: string;
  argumentBytes: number;
}

/** The MCP methods `spec.mcp` governs. */
export type McpMethod = 'tools/call' | 'resources/read' | 'prompts/get';

/** Which `spec.mcp` rule decided an MCP call. */
export interface McpRuleRef {
  layer: LayerName;
  source: string;
  /** Index of the server in `spec.mcp.servers`. */
  server: number;
  /** `tools`, `resources` or `prompts`; absent when the server's default decided. */
  list?: 'tools' | 'resources' | 'prompts';
  /** Index of the rule in that list. */
  index?: number;
  /** The rule's glob (name or URI). */
  pattern?: string;
  action: Action;
  /** `it`: an ask IT answers on the team hub. */
  approver?: 'it';
}

/**
 * One governed MCP call (tools/call, resources/read, prompts/get) inside an exchange with an
 * MCP server, decided by `spec.mcp`. Its arguments appear only when the server's rule says
 * `recordArguments: true`; their size always.
 */
export interface McpCallEvent extends Identity {
  type: 'mcp.call';
  time: string;
  /** The `id` of the exchange's `request.decided`. */
  requestId: string;
  server: string;
  host: string;
  port: number;
  path: string;
  method: McpMethod;
  name: string;
  /** The JSON-RPC id of the call, as text. */
  callId: string;
  sessionId?: string;
  outcome: RequestOutcome;
  rule: McpRuleRef | null;
  reason: string;
  decidedBy: 'policy' | 'approval' | 'proxy';
  approvalId?: string;
  argumentBytes: number;
  arguments?: string;
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
  /** The tool the answer came from (absent on records written before clients were named). */
  client?: AnswerSource;
  /** Why (the reviewer hook's reason). */
  reason?: string;
  method: string;
  host: string;
  path: string;
  /** As shown on the approval (absent on records written before queries were shown). */
  query?: string;
}

/** An `always` answer taken back: the session rule it wrote is removed (its `policy.changed` follows). */
export interface ApprovalRevokedEvent extends Identity {
  type: 'approval.revoked';
  time: string;
  approvalId: string;
  /** Who took it back, and with which tool. */
  by: string;
  client: AnswerSource;
  /** The answer taken back. */
  decision: ApprovalDecision;
  method: string;
  host: string;
  path: string;
  query?: string;
  /** False when the rule was already gone: nothing changed. */
  ruleRemoved: boolean;
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
  | ApprovalRevokedEvent
  | SecretInjectedEvent
  | SecretExfiltrationBlockedEvent
  | SecretRedactedEvent
  | McpCallEvent
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
