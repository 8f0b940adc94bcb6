// The device side of the team hub in the local API: the sync link's status (`GET
// /v1/sync/status`, the `sync` block of `GET /v1/status`, `warden sync status`, the desktop
// app's Status view) and enrollment (`POST /v1/sync/enroll`, `warden sync enroll`).

import { type Static, Type } from '@sinclair/typebox';

/**
 * - `off`: not enrolled (nothing leaves the machine);
 * - `ok`: enrolled, the last exchange with the hub succeeded;
 * - `backing-off`: the hub is unreachable or busy; the link retries at `nextAttempt`;
 * - `parked`: the hub refused a batch as malformed (400); retried at `nextAttempt`, slowly;
 * - `revoked`: the hub refuses this device's key (401/403); the link stopped;
 * - `forked`: the hub and this device disagree about the chain, or the hub's receipts do not
 *   check (it rewrote its log); the link stopped; `lastError` names why.
 */
export const SYNC_STATES = ['off', 'ok', 'backing-off', 'parked', 'revoked', 'forked'] as const;
export type SyncState = (typeof SYNC_STATES)[number];

export interface SyncStatus {
  state: SyncState;
  /** The hub's URL and this device's id there (null while off). */
  hub: string | null;
  deviceId: string | null;
  /** The last seq the hub acknowledged with a receipt that checked (null: none). */
  acknowledgedSeq: number | null;
  /** The newest seq of the local chain (null: empty). */
  headSeq: number | null;
  /** Records above the acknowledged seq. */
  backlog: number;
  /** Milliseconds since the oldest unacknowledged record was written (0: none waiting). */
  lagMs: number;
  /** ISO time of the last exchange the hub accepted. */
  lastSuccess: string | null;
  /** What went wrong last, in words (kept after a recovery until the next failure). */
  lastError: string | null;
  /** ISO time of the next attempt, while backing off or parked. */
  nextAttempt: string | null;
  /** The size of the hub's log tree this device last verified. */
  treeSize: number;
  /** Receipts kept in the audit database. */
  receipts: number;
}

export const SyncEnrollRequestSchema = Type.Object(
  { enrollment: Type.String({ minLength: 1, maxLength: 8192 }) },
  { additionalProperties: false },
);
export type SyncEnrollRequest = Static<typeof SyncEnrollRequestSchema>;

export interface SyncEnrollResponse {
  deviceId: string;
  hub: string;
  /** Where uploads start (the first seq the hub will receive). */
  startSeq: number;
  status: SyncStatus;
}
