// The local API's routes, written once. Clients (CLI, Electron main, renderer in browser
// mode, Lens extension) call through `ApiRoutes` so a path or a body shape is never typed twice.

import type { AddAgentRequest, AddAgentResponse, AgentView, RemoveAgentResponse } from './agent-types.ts';
import type { ApprovalStateFilter } from './approval-types.ts';
import type {
  AuditExportRequest,
  AuditExportResult,
  AuditTaskStarted,
  AuditVerifyResult,
} from './audit-task-types.ts';
import type {
  AuditChainStatus,
  AuditHistogram,
  AuditHistogramParams,
  AuditPage,
  AuditQueryParams,
} from './audit-types.ts';
import type { ApprovalView } from './events.ts';
import type { DeviceExportStatus } from './export-types.ts';
import type {
  AddRuleRequest,
  AnswerApprovalRequest,
  AnswerApprovalResponse,
  ApplyPolicyRequest,
  ApplyPolicyResponse,
  CreateListenerRequest,
  CreateListenerResponse,
  ListenerView,
  PolicyResponse,
  PresetView,
  PreviewApprovalRequest,
  PutSecretRequest,
  SecretView,
  StatusResponse,
  UiResponse,
  ValidatePolicyRequest,
  ValidatePolicyResponse,
} from './messages.ts';
import type { PolicyDiff } from './policy-types.ts';
import type { ReplayRequest, ReplayResult, ReplayStarted } from './replay-types.ts';
import type {
  CreateSandboxRequest,
  CreateSandboxResponse,
  ExecRequest,
  ImageView,
  SandboxLogsResponse,
  SandboxMetricsResponse,
  SandboxView,
} from './sandbox-types.ts';
import type { SpendView } from './spend.ts';
import type { SyncEnrollRequest, SyncEnrollResponse, SyncStatus } from './sync-types.ts';
import type { CancelTaskResponse, TaskView } from './tasks.ts';
import type { TerminalSize } from './terminal.ts';

export interface ApiRoutes {
  'GET /v1/status': { params: Record<string, never>; body: undefined; response: StatusResponse };
  /** @deprecated For clients of the previous release: `GET /v1/sandboxes` (every sandbox's listener). */
  'GET /v1/listeners': { params: Record<string, never>; body: undefined; response: ListenerView[] };
  /** @deprecated For clients of the previous release: `POST /v1/sandboxes` with `kind: 'host'`. */
  'POST /v1/listeners': {
    params: Record<string, never>;
    body: CreateListenerRequest;
    response: CreateListenerResponse;
  };
  /** @deprecated For clients of the previous release: `DELETE /v1/sandboxes/:sandboxId` (the same handler). */
  'DELETE /v1/listeners/:sandboxId': {
    params: { sandboxId: string };
    body: undefined;
    response: { removed: true };
  };
  /** @deprecated For clients of the previous release: `POST /v1/sandboxes/:sandboxId/rules` (the same handler). */
  'POST /v1/listeners/:sandboxId/rules': {
    params: { sandboxId: string };
    body: AddRuleRequest;
    response: ApplyPolicyResponse;
  };
  /** What waits for a human (default), or the history: `?state=answered|expired|cancelled|all`, newest first. */
  'GET /v1/approvals': {
    params: Record<string, never>;
    body: undefined;
    query?: { state?: ApprovalStateFilter };
    response: ApprovalView[];
  };
  /** Take back an `always` answer: the session rule it wrote is removed (on the audit chain). */
  'POST /v1/approvals/:id/revoke': { params: { id: string }; body: undefined; response: ApprovalView };
  'POST /v1/approvals/:id': {
    params: { id: string };
    body: AnswerApprovalRequest;
    response: AnswerApprovalResponse;
  };
  'POST /v1/approvals/:id/preview': {
    params: { id: string };
    body: PreviewApprovalRequest;
    response: PolicyDiff;
  };
  'GET /v1/policy': {
    params: Record<string, never>;
    body: undefined;
    query?: { sandbox?: string };
    response: PolicyResponse;
  };
  /** Every sandbox's counters (VM CPU time and memory, traffic), for charts that sample it. */
  'GET /v1/metrics/sandboxes': {
    params: Record<string, never>;
    body: undefined;
    response: SandboxMetricsResponse;
  };
  /** The policy presets the daemon ships, with their text (shown before a sandbox starts with one). */
  'GET /v1/presets': { params: Record<string, never>; body: undefined; response: PresetView[] };
  'POST /v1/policy/validate': {
    params: Record<string, never>;
    body: ValidatePolicyRequest;
    response: ValidatePolicyResponse;
  };
  /** What-if replay: start judging a policy change against the recorded requests (a `policy.replay` task). */
  'POST /v1/policy/replay': {
    params: Record<string, never>;
    body: ReplayRequest;
    response: ReplayStarted;
  };
  /** A replay's result: its state while it runs, its differences once its task is done (the newest 20 are kept). */
  'GET /v1/policy/replay/:taskId': { params: { taskId: string }; body: undefined; response: ReplayResult };
  'PUT /v1/policy': {
    params: Record<string, never>;
    body: ApplyPolicyRequest;
    response: ApplyPolicyResponse;
  };
  'GET /v1/secrets': { params: Record<string, never>; body: undefined; response: SecretView[] };
  'PUT /v1/secrets/:name': { params: { name: string }; body: PutSecretRequest; response: SecretView };
  'DELETE /v1/secrets/:name': { params: { name: string }; body: undefined; response: { removed: true } };
  'GET /v1/audit': {
    params: Record<string, never>;
    body: undefined;
    query?: AuditQueryParams;
    response: AuditPage;
  };
  'GET /v1/audit/chain': { params: Record<string, never>; body: undefined; response: AuditChainStatus };
  /** Verify the chain as an `audit.verify` task (progress, cancel); a second call joins the running one. */
  'POST /v1/audit/verify': { params: Record<string, never>; body: undefined; response: AuditTaskStarted };
  /** A verify's result by task id (the newest 20 are kept). */
  'GET /v1/audit/verify/:taskId': {
    params: { taskId: string };
    body: undefined;
    response: AuditVerifyResult;
  };
  /** Export the trail to a file under the daemon's home as an `audit.export` task (progress, cancel). */
  'POST /v1/audit/export': {
    params: Record<string, never>;
    body: AuditExportRequest;
    response: AuditTaskStarted;
  };
  /** An export's result by task id: the file once done (the newest 20 are kept). */
  'GET /v1/audit/export/:taskId': {
    params: { taskId: string };
    body: undefined;
    response: AuditExportResult;
  };
  /** Records per time bucket and kind, for a histogram. */
  'GET /v1/audit/histogram': {
    params: Record<string, never>;
    body: undefined;
    query?: AuditHistogramParams;
    response: AuditHistogram;
  };
  /** The team hub's sync link: state, position, backlog. */
  'GET /v1/sync/status': { params: Record<string, never>; body: undefined; response: SyncStatus };
  /** This device's own OTLP export (`warden daemon --otlp-export URL`): position, backlog, errors. */
  'GET /v1/export/status': { params: Record<string, never>; body: undefined; response: DeviceExportStatus };
  /** Enroll this device with a hub (the string `warden hub token create` printed). */
  'POST /v1/sync/enroll': {
    params: Record<string, never>;
    body: SyncEnrollRequest;
    response: SyncEnrollResponse;
  };
  /** A sandbox of either kind: a microVM (`kind` `vm`, the default) or a host process's listener (`host`). */
  'POST /v1/sandboxes': {
    params: Record<string, never>;
    body: CreateSandboxRequest;
    response: CreateSandboxResponse;
  };
  /** Every sandbox, both kinds. */
  'GET /v1/sandboxes': { params: Record<string, never>; body: undefined; response: SandboxView[] };
  'GET /v1/sandboxes/:sandboxId': { params: { sandboxId: string }; body: undefined; response: SandboxView };
  /** Removes a sandbox: its VM (if any), its listener and its secrets' placeholders. */
  'DELETE /v1/sandboxes/:sandboxId': {
    params: { sandboxId: string };
    body: undefined;
    response: { removed: true };
  };
  /** Adds a rule in front of the sandbox's session layer. */
  'POST /v1/sandboxes/:sandboxId/rules': {
    params: { sandboxId: string };
    body: AddRuleRequest;
    response: ApplyPolicyResponse;
  };
  /** A VM sandbox's guest console. */
  'GET /v1/sandboxes/:sandboxId/logs': {
    params: { sandboxId: string };
    body: undefined;
    query?: { lines?: string };
    response: SandboxLogsResponse;
  };
  'GET /v1/images': { params: Record<string, never>; body: undefined; response: ImageView[] };
  /** Installed agents, every version. */
  'GET /v1/agents': { params: Record<string, never>; body: undefined; response: AgentView[] };
  /** Installs an agent in a sandbox through the governed proxy (minutes on a first install). */
  'POST /v1/agents': { params: Record<string, never>; body: AddAgentRequest; response: AddAgentResponse };
  /** Removes every installed version of an agent. */
  'DELETE /v1/agents/:name': { params: { name: string }; body: undefined; response: RemoveAgentResponse };
  'POST /v1/ui': { params: Record<string, never>; body: undefined; response: UiResponse };
  /** Model spend this UTC day and month, per sandbox and per model (supervisor/api/spend.ts). */
  'GET /v1/spend': { params: Record<string, never>; body: undefined; response: SpendView };
  /** Long work running now, then the newest that ended (supervisor/api/tasks.ts). */
  'GET /v1/tasks': { params: Record<string, never>; body: undefined; response: TaskView[] };
  /** Asks a running task to stop; it ends as cancelled once its work has stopped. */
  'POST /v1/tasks/:taskId/cancel': {
    params: { taskId: string };
    body: undefined;
    response: CancelTaskResponse;
  };
}

/** Routes answered with `101 Switching Protocols`; the socket then carries a stream. */
export interface ApiUpgradeRoutes {
  'POST /v1/sandboxes/:sandboxId/exec': { params: { sandboxId: string }; query: ExecRequest };
}

export type UpgradeRouteKey = keyof ApiUpgradeRoutes;

/**
 * Routes answered with a WebSocket (browser mode cannot make the custom upgrade above);
 * the token may come as a subprotocol (supervisor/api/terminal.ts).
 */
export interface ApiWebSocketRoutes {
  'GET /v1/sandboxes/:sandboxId/terminal': { params: { sandboxId: string }; query: TerminalSize };
}

export type WebSocketRouteKey = keyof ApiWebSocketRoutes;

export type RouteKey = keyof ApiRoutes;

/**
 * Server-sent events stream of WardenEvent, one JSON object per `data:` line; with `?tasks=1`
 * also the `task.updated` events of long work (LiveEvent).
 */
export const EVENTS_PATH = '/v1/events';

/**
 * Browser mode only, on the loopback TCP listener, without a bearer token: the page POSTs the
 * one-time code from its URL (`UiSessionRequest`) and gets its session (`UiSessionResponse`).
 */
export const UI_SESSION_PATH = '/v1/ui/session';

/** Fill `:name` segments of a route path with URI-encoded params. */
export function routePath(
  route: RouteKey | UpgradeRouteKey,
  params: Record<string, string>,
): { method: string; path: string } {
  const [method, template] = route.split(' ') as [string, string];
  const path = template.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${route} needs the parameter ${name}`);
    return encodeURIComponent(value);
  });
  return { method, path };
}
