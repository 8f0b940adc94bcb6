// The API contract: every type that crosses a process boundary, written once.

export type * from './agent-types.ts';
export type * from './audit-task-types.ts';
export { AUDIT_EXPORT_FORMATS, AuditExportRequestSchema } from './audit-task-types.ts';
export type * from './audit-types.ts';
export type { BridgeArgs, BridgeError, BridgeMethod, ConnectionState, WardenBridge } from './bridge.ts';
export {
  BRIDGE_METHODS,
  bridgeChannel,
  CONNECTION_CHANNEL,
  EVENT_CHANNEL,
  FOCUS_APPROVAL_CHANNEL,
  isBridgeMethod,
  isConnectionState,
  MAIN_TO_RENDERER_CHANNELS,
} from './bridge.ts';
export type * from './events.ts';
export { isTaskEvent } from './events.ts';
export type * from './export-types.ts';
export { DEVICE_EXPORT_STATES } from './export-types.ts';
export type * from './hub.ts';
export {
  ENROLLMENT_PREFIX,
  HUB_ALERT_KINDS,
  HUB_ERROR_NAMES,
  HUB_LIMITS,
  HUB_PATHS,
  HUB_SIGNATURE,
  HubBatchResponseSchema,
  HubChallengeAnswerSchema,
  HubChallengeResultSchema,
  HubChallengeSchema,
  HubConsistencySchema,
  HubEnrollmentSchema,
  HubEnrollRequestSchema,
  HubEnrollResponseSchema,
  HubHeadSchema,
  HubHeadsResponseSchema,
  HubHeartbeatRequestSchema,
  HubHeartbeatResponseSchema,
  HubLeafSchema,
  HubReceiptSchema,
  HubRecordSchema,
  HubSeqHashSchema,
} from './hub.ts';
export {
  authorityOf,
  KUBE_READ_ONLY_SOURCE,
  kubeReadOnlyPolicy,
  type ReadOnlyCluster,
  readOnlyReason,
} from './kube-read-only.ts';
export { LifecycleState } from './lifecycle.ts';
export type * from './messages.ts';
export type { PolicyDocument, RuleSpec } from './policy-schema.ts';
export type * from './policy-types.ts';
export {
  MAX_REDACT_PATTERN,
  REDACT_ACTIONS,
  REDACT_DETECTORS,
  REDACT_NAME_PATTERN,
  type RedactAction,
  type RedactDetector,
  type RedactRuleSpec,
  type RedactSpec,
} from './redact-schema.ts';
export type * from './replay-types.ts';
export { REPLAY_MAX_DIFFERENCES, ReplayRequestSchema } from './replay-types.ts';
export { DEFAULT_PORTS, displayAuthority, requestLine } from './request-line.ts';
export type {
  ApiRoutes,
  ApiUpgradeRoutes,
  ApiWebSocketRoutes,
  RouteKey,
  UpgradeRouteKey,
  WebSocketRouteKey,
} from './routes.ts';
export { EVENTS_PATH, routePath, UI_SESSION_PATH } from './routes.ts';
export type * from './sandbox-types.ts';
export { EXEC_CHANNEL, EXEC_UPGRADE_PROTOCOL } from './sandbox-types.ts';
export type * from './spend.ts';
export type { SseEvent } from './sse.ts';
export { encodeSse, SseParser } from './sse.ts';
export type * from './sync-types.ts';
export { SYNC_STATES, SyncEnrollRequestSchema } from './sync-types.ts';
export type * from './tasks.ts';
export { TASK_KINDS } from './tasks.ts';
export type {
  OpenTerminal,
  TerminalClientMessage,
  TerminalExit,
  TerminalServerMessage,
  TerminalSession,
  TerminalSize,
} from './terminal.ts';
export { TERMINAL_CHANNELS, TERMINAL_PROTOCOL, TERMINAL_ROUTE, terminalPath } from './terminal.ts';
