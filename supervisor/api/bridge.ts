// The desktop bridge, written once: the named functions the Electron preload exposes to
// the renderer (and the browser-mode HTTP client implements), each bound to one API route.
// IPC channel names are derived from the method names here; neither side types them again.
// Browser-safe: no Node imports.

import type { LiveEvent } from './events.ts';
import type { ApiRoutes, RouteKey } from './routes.ts';
import { type OpenTerminal, TERMINAL_CHANNELS } from './terminal.ts';

export const BRIDGE_METHODS = {
  status: 'GET /v1/status',
  listApprovals: 'GET /v1/approvals',
  answerApproval: 'POST /v1/approvals/:id',
  previewApproval: 'POST /v1/approvals/:id/preview',
  revokeApproval: 'POST /v1/approvals/:id/revoke',
  getPolicy: 'GET /v1/policy',
  validatePolicy: 'POST /v1/policy/validate',
  applyPolicy: 'PUT /v1/policy',
  startReplay: 'POST /v1/policy/replay',
  replayResult: 'GET /v1/policy/replay/:taskId',
  listSecrets: 'GET /v1/secrets',
  putSecret: 'PUT /v1/secrets/:name',
  removeSecret: 'DELETE /v1/secrets/:name',
  auditPage: 'GET /v1/audit',
  auditChain: 'GET /v1/audit/chain',
  auditHistogram: 'GET /v1/audit/histogram',
  startAuditVerify: 'POST /v1/audit/verify',
  auditVerifyResult: 'GET /v1/audit/verify/:taskId',
  startAuditExport: 'POST /v1/audit/export',
  auditExportResult: 'GET /v1/audit/export/:taskId',
  syncStatus: 'GET /v1/sync/status',
  listSandboxes: 'GET /v1/sandboxes',
  getSandbox: 'GET /v1/sandboxes/:sandboxId',
  createSandbox: 'POST /v1/sandboxes',
  stopSandbox: 'DELETE /v1/sandboxes/:sandboxId',
  addRule: 'POST /v1/sandboxes/:sandboxId/rules',
  sandboxLogs: 'GET /v1/sandboxes/:sandboxId/logs',
  listImages: 'GET /v1/images',
  listPresets: 'GET /v1/presets',
  sandboxMetrics: 'GET /v1/metrics/sandboxes',
  listTasks: 'GET /v1/tasks',
  modelSpend: 'GET /v1/spend',
  listAgents: 'GET /v1/agents',
  addAgent: 'POST /v1/agents',
  cancelTask: 'POST /v1/tasks/:taskId/cancel',
} as const satisfies Record<string, RouteKey>;

export type BridgeMethod = keyof typeof BRIDGE_METHODS;
export type RouteOf<M extends BridgeMethod> = (typeof BRIDGE_METHODS)[M];

/** The one argument of a bridge call: path params, query and body of its route. */
export interface BridgeArgs<K extends RouteKey> {
  params?: ApiRoutes[K]['params'];
  query?: Record<string, string | undefined>;
  body?: ApiRoutes[K]['body'];
}

export type Disposer = () => void;

/** The live event stream from the daemon: connecting, open, or closed (the daemon is gone). */
export type ConnectionState = 'connecting' | 'open' | 'closed';

export function isConnectionState(value: unknown): value is ConnectionState {
  return value === 'connecting' || value === 'open' || value === 'closed';
}

/** What the renderer sees as `window.warden` (Electron) or gets from the HTTP client (browser mode). */
export type WardenBridge = {
  [M in BridgeMethod]: (args?: BridgeArgs<RouteOf<M>>) => Promise<ApiRoutes[RouteOf<M>]['response']>;
} & {
  /** Live events, the long work's task updates among them; returns a disposer. */
  onEvent(listener: (event: LiveEvent) => void): Disposer;
  /**
   * The state of the live event stream: the current state first, then every change. After
   * `open` follows a reconnect (a restarted daemon), state must be read again.
   */
  onConnection(listener: (state: ConnectionState) => void): Disposer;
  /** An interactive shell on a PTY in a running sandbox (supervisor/api/terminal.ts). */
  openTerminal: OpenTerminal;
};

/** Desktop-only extras, exposed as `window.wardenDesktop` so `window.warden` stays exactly WardenBridge. */
export interface WardenDesktop {
  /** Main asks to show an approval's card (a notification or the tray was clicked). */
  onFocusApproval(listener: (approvalId: string) => void): Disposer;
}

/** IPC channel of a bridge method (`warden:status`, …) and of the event stream. */
export const bridgeChannel = (method: BridgeMethod): string => `warden:${method}`;
export const EVENT_CHANNEL = 'warden:event';
/** Main → renderer: the event stream's ConnectionState; invoked, it answers the current one. */
export const CONNECTION_CHANNEL = 'warden:connection';
/** Main → renderer: show the card of this approval (payload: the approval id), e.g. after a notification click. */
export const FOCUS_APPROVAL_CHANNEL = 'warden:focus-approval';
/** Every channel main sends on; the preload subscribes to each (a test holds both sides to it). */
export const MAIN_TO_RENDERER_CHANNELS = [
  EVENT_CHANNEL,
  CONNECTION_CHANNEL,
  FOCUS_APPROVAL_CHANNEL,
  TERMINAL_CHANNELS.data,
  TERMINAL_CHANNELS.exit,
] as const;

export function isBridgeMethod(name: unknown): name is BridgeMethod {
  return typeof name === 'string' && Object.hasOwn(BRIDGE_METHODS, name);
}

/** Errors cross the boundary with their name and fields (Podman Desktop's envelope). */
export interface BridgeError {
  name: string;
  message: string;
  status?: number;
  hint?: string;
  errors?: Array<{ source: string; line: number; column: number; path: string; message: string }>;
}
