// What the daemon configures of the sync link (tests shorten every timing).

import type { SyncLedger } from '../audit/sync-ledger.ts';
import type { HubPolicyHook } from './hub-policy.ts';
import type { RetrySchedule } from './retry.ts';

export interface SyncLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface SyncLinkOptions {
  ledger: SyncLedger;
  keyFile: string;
  log: SyncLog;
  user: string;
  version: string;
  heartbeatMs?: number;
  /** How long after the first new record a batch leaves (default 250 ms). */
  batchDelayMs?: number;
  /** How often an idle link looks for records written by another process (default 1 s). */
  pollMs?: number;
  timeoutMs?: number;
  retry?: RetrySchedule;
  /** How long a parked (400) batch waits before it is tried again (default the retry cap). */
  parkMs?: number;
  /** The organisation policy the hub pushes: reported and offered in each heartbeat. */
  organisation?: HubPolicyHook;
}
