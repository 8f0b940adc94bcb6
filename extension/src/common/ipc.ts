// The extension's own IPC between its main and renderer sides, written once: the channel
// names and what travels on them (plain, structured-cloneable objects). The shapes of the
// daemon's data come from the contract in supervisor/api, never typed again.

import type { ApprovalView } from '../../../supervisor/api/events.ts';
import type { AnswerApprovalResponse, ErrorEnvelope } from '../../../supervisor/api/messages.ts';
import type { PolicyDiff } from '../../../supervisor/api/policy-types.ts';

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
  /** Broadcast from main: the Snapshot, each time it changes. */
  changed: 'warden:snapshot-changed',
} as const;

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

export interface Snapshot {
  connection: ConnectionView;
  extensionVersion: string;
  /** The state folder chosen in the preferences; absent: $WARDEN_HOME or the default. */
  stateFolder?: string;
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
