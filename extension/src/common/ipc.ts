// The extension's own IPC between its main and renderer sides, written once: the channel
// names and what travels on them (plain, structured-cloneable objects). The shapes of the
// daemon's data come from the contract in supervisor/api, never typed again.

import type { ApprovalView, RequestDecidedEvent, SandboxState } from '../../../supervisor/api/events.ts';
import type { AnswerApprovalResponse, ErrorEnvelope } from '../../../supervisor/api/messages.ts';
import type { PolicyDiff } from '../../../supervisor/api/policy-types.ts';
import type { TaskView } from '../../../supervisor/api/tasks.ts';

export const WARDEN_IPC = {
  /** Invoke: the current Snapshot. */
  snapshot: 'warden:snapshot',
  /** Invoke with (approvalId, AnswerApprovalRequest): an AnswerResult. */
  answer: 'warden:answer',
  /** Invoke with (approvalId, PreviewApprovalRequest): a PreviewResult. */
  preview: 'warden:preview',
  /** Invoke: try to reach the daemon now instead of waiting out the backoff. */
  retry: 'warden:retry',
  /** Invoke with (absolute folder | null): a StateFolderResult; reconnects there. */
  setStateFolder: 'warden:set-state-folder',
  /** Invoke: the recent activity, newest first (ActivityRow[]). */
  activity: 'warden:activity',
  /** Invoke: the sandboxes (SandboxRow[]). */
  sandboxes: 'warden:sandboxes',
  /** Invoke with (sandboxId): a StopResult; the sandbox is stopped and removed. */
  stopSandbox: 'warden:stop-sandbox',
  /** Invoke: the daemon's long work (TaskView[]: running first, then the recently ended). */
  tasks: 'warden:tasks',
  /** Invoke with (taskId): a CancelTaskResult. */
  cancelTask: 'warden:cancel-task',
  /** Invoke with (NotificationsPref): a NotificationsResult. */
  setNotifications: 'warden:set-notifications',
  /** Invoke with (CatalogCluster[]): the ClusterRef[] main found in their kubeconfigs. */
  setClusters: 'warden:set-clusters',
  /** Invoke with (TerminalsPref): a TerminalsResult. */
  setTerminals: 'warden:set-terminals',
  /** Broadcast from main: the Snapshot, each time it changes. */
  changed: 'warden:snapshot-changed',
  /** Broadcast from main: the recent activity (ActivityRow[]), at most every 250 ms. */
  activityChanged: 'warden:activity-changed',
  /** Broadcast from main: the sandboxes (SandboxRow[]), each time they change. */
  sandboxesChanged: 'warden:sandboxes-changed',
  /** Broadcast from main: the long work (TaskView[]), each time a task moves on. */
  tasksChanged: 'warden:tasks-changed',
  /** Broadcast from main with (approvalId): show that approval (its notification was clicked). */
  focus: 'warden:focus',
} as const;

/** The channels main broadcasts on (the others are invoked by the renderer). */
export const BROADCAST_CHANNELS: readonly string[] = [
  WARDEN_IPC.changed,
  WARDEN_IPC.activityChanged,
  WARDEN_IPC.sandboxesChanged,
  WARDEN_IPC.tasksChanged,
  WARDEN_IPC.focus,
];

/** How many activity rows main keeps and sends. */
export const ACTIVITY_ROWS = 200;

/** The command a user runs to start the daemon, shown with the "not running" state. */
export const START_DAEMON_COMMAND = 'warden daemon';

/** Where main looks for the daemon. */
export interface DaemonLocation {
  home: string;
  socket: string;
  tokenFile: string;
}

/** The connection to the daemon, as the renderer shows it. */
export type ConnectionView =
  | { kind: 'connecting'; where: string }
  | { kind: 'connected'; where: string; daemonVersion: string }
  /** Nothing answers on the socket (or there is no token file): the daemon is not running. */
  | { kind: 'daemon-absent'; where: string; message: string; command: string; retryInMs: number }
  /** The daemon answered 401: the token file is not the running daemon's. */
  | { kind: 'token-refused'; where: string; message: string; hint: string; retryInMs: number }
  /** The version handshake failed: one side must be updated. */
  | {
      kind: 'version-mismatch';
      where: string;
      daemonVersion: string;
      extensionVersion: string;
      newer: 'daemon' | 'extension';
      message: string;
      hint: string;
      retryInMs: number;
    }
  | { kind: 'error'; where: string; message: string; retryInMs: number }
  | { kind: 'stopped' };

/** Native notifications for new approvals: `auto` is on unless the Warden desktop app runs. */
export type NotificationsPref = 'auto' | 'on' | 'off';

export interface NotificationsView {
  pref: NotificationsPref;
  /** Whether a new approval shows a notification now. */
  active: boolean;
  desktopAppRunning: boolean;
  /** False where the host has no native notifications (they are never shown). */
  supported: boolean;
}

/** Which clusters' Lens terminals go through a Warden listener. */
export interface TerminalsPref {
  mode: 'off' | 'all' | 'listed';
  /** With `listed`: cluster names (or catalog ids). */
  clusters: string[];
  /**
   * Clusters whose Kubernetes API is read-only for agents (their terminals are governed
   * whatever the mode): kubectl there gets a kubeconfig of Warden's, without the credential.
   */
  readOnly?: string[];
}

/** A read-only cluster's state, for the preferences pane. */
export interface ReadOnlyView {
  cluster: string;
  /** ready: kubectl in its terminals reads through Warden; refused: every request is denied. */
  state: 'ready' | 'refused' | 'pending';
  /** Why it is refused ("its credential comes from an exec plugin (aws)"). */
  problem?: string;
}

export interface TerminalsView {
  pref: TerminalsPref;
  /** The listener terminals use, once the daemon made it (its credential stays in main). */
  sandboxId?: string;
  /** Why governed terminals cannot reach anything now (they fail closed). */
  problem?: string;
  /** The read-only clusters, once the listener was made. */
  readOnly?: ReadOnlyView[];
}

/** A cluster of the host's catalog, as the renderer reads it (KubernetesCluster entities). */
export interface CatalogCluster {
  name: string;
  kubeconfigPath: string;
  kubeconfigContext: string;
}

/** Where a cluster's API server listens, found in its kubeconfig by main (nothing else of it). */
export interface ClusterRef {
  name: string;
  host: string;
  port: number;
}

export interface Snapshot {
  connection: ConnectionView;
  extensionVersion: string;
  /** The state folder chosen in the preferences; absent: $WARDEN_HOME or the default. */
  stateFolder?: string;
  notifications?: NotificationsView;
  terminals?: TerminalsView;
  /** The catalog's clusters whose API server main found: approvals to them name the cluster. */
  clusters?: ClusterRef[];
  /** Pending approvals, oldest first; empty unless connected. */
  approvals: ApprovalView[];
}

export type IpcError = ErrorEnvelope['error'];

export type AnswerResult =
  | { ok: true; response: AnswerApprovalResponse }
  /** `gone`: the approval was answered elsewhere, expired or cancelled; its card just goes. */
  | { ok: false; gone: boolean; error: IpcError };

export type PreviewResult = { ok: true; diff: PolicyDiff } | { ok: false; gone: boolean; error: IpcError };

export type StateFolderResult = { ok: true; location: DaemonLocation } | { ok: false; error: IpcError };

/** One decided request of the live activity, its end filled in when it comes. */
export interface ActivityRow {
  id: string;
  time: string;
  sandboxId: string;
  method: string;
  scheme: string;
  host: string;
  port: number;
  path: string;
  outcome: RequestDecidedEvent['outcome'];
  decidedBy: RequestDecidedEvent['decidedBy'];
  /** The rule that decided, in words ("session rule 1: allow api.example"), or how. */
  rule: string;
  reason: string;
  status?: number;
  /** Bytes both ways, once it ended. */
  bytes?: number;
}

/**
 * A sandbox as the renderer shows it: never its proxy credential (a host sandbox's
 * clientProxyUrl lets its holder act as that sandbox, and a renderer page runs others' code).
 */
export interface SandboxRow {
  sandboxId: string;
  label: string;
  kind: 'vm' | 'host';
  state: SandboxState;
  reason?: string;
  user: string;
  createdAt: string;
  /** One line: the image and resources of a VM, the listener of a host process. */
  detail: string;
  /** Prompts a human saw from it in the last hour (approval fatigue). */
  promptsLastHour?: number;
}

export type StopResult = { ok: true } | { ok: false; gone: boolean; error: IpcError };

export type NotificationsResult =
  | { ok: true; notifications: NotificationsView }
  | { ok: false; error: IpcError };

export type TerminalsResult = { ok: true; terminals: TerminalsView } | { ok: false; error: IpcError };

export type ClustersResult = { ok: true; clusters: ClusterRef[] } | { ok: false; error: IpcError };

/** A cancel asked from the page: the task as the daemon holds it after the cancel, or why not. */
export type CancelTaskResult = { ok: true; task: TaskView } | { ok: false; gone: boolean; error: IpcError };
