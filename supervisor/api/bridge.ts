// The desktop bridge, written once: the named functions the Electron preload exposes to
// the renderer (and the browser-mode HTTP client implements), each bound to one API route.
// IPC channel names are derived from the method names here; neither side types them again.
// Browser-safe: no Node imports.

import type { WardenEvent } from './events.ts';
import type { ApiRoutes, RouteKey } from './routes.ts';
import type { OpenTerminal } from './terminal.ts';

export const BRIDGE_METHODS = {
  status: 'GET /v1/status',
  listListeners: 'GET /v1/listeners',
  createListener: 'POST /v1/listeners',
  removeListener: 'DELETE /v1/listeners/:sandboxId',
  addRule: 'POST /v1/listeners/:sandboxId/rules',
  listApprovals: 'GET /v1/approvals',
  answerApproval: 'POST /v1/approvals/:id',
  previewApproval: 'POST /v1/approvals/:id/preview',
  getPolicy: 'GET /v1/policy',
  validatePolicy: 'POST /v1/policy/validate',
  applyPolicy: 'PUT /v1/policy',
  listSecrets: 'GET /v1/secrets',
  putSecret: 'PUT /v1/secrets/:name',
  removeSecret: 'DELETE /v1/secrets/:name',
  auditPage: 'GET /v1/audit',
  auditChain: 'GET /v1/audit/chain',
  listSandboxes: 'GET /v1/sandboxes',
  getSandbox: 'GET /v1/sandboxes/:sandboxId',
  createSandbox: 'POST /v1/sandboxes',
  stopSandbox: 'DELETE /v1/sandboxes/:sandboxId',
  sandboxLogs: 'GET /v1/sandboxes/:sandboxId/logs',
  listImages: 'GET /v1/images',
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

/** What the renderer sees as `window.warden` (Electron) or gets from the HTTP client (browser mode). */
export type WardenBridge = {
  [M in BridgeMethod]: (args?: BridgeArgs<RouteOf<M>>) => Promise<ApiRoutes[RouteOf<M>]['response']>;
} & {
  /** Live events; returns a disposer that ends the subscription. */
  onEvent(listener: (event: WardenEvent) => void): Disposer;
  /** An interactive shell on a PTY in a running sandbox (supervisor/api/terminal.ts). */
  openTerminal: OpenTerminal;
};

/** IPC channel of a bridge method (`warden:status`, …) and of the event stream. */
export const bridgeChannel = (method: BridgeMethod): string => `warden:${method}`;
export const EVENT_CHANNEL = 'warden:event';
/** Main → renderer: show the card of this approval (payload: the approval id), e.g. after a notification click. */
export const FOCUS_APPROVAL_CHANNEL = 'warden:focus-approval';

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
