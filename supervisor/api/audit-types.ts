// The audit trail as it crosses the API boundary: records, paged queries and chain status.

import type { WardenEventType } from './events.ts';

/** What a record is about: every WardenEvent type, plus the store's own retention checkpoints. */
export type AuditKind = WardenEventType | 'audit.checkpoint';

/** Every kind, in the order filters list them (the compiler checks none is missing). */
export const AUDIT_KINDS = [
  'request.decided',
  'request.ended',
  'approval.pending',
  'approval.answered',
  'approval.expired',
  'approval.cancelled',
  'approval.revoked',
  'secret.injected',
  'secret.exfiltration_blocked',
  'secret.redacted',
  'mcp.call',
  'policy.changed',
  'sandbox.state',
  'user.action',
  'daemon.started',
  'daemon.stopping',
  'audit.checkpoint',
] as const satisfies readonly AuditKind[];
const allKindsListed: Exclude<AuditKind, (typeof AUDIT_KINDS)[number]> extends never ? true : never = true;
void allKindsListed;

/** A decision-like result recorded in the `outcome` column (null for events that decide nothing). */
export const AUDIT_OUTCOMES = ['allowed', 'denied', 'timed_out', 'error'] as const;

export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** An OCSF 1.x event object (class, category, activity, severity, actor, device, metadata, unmapped…). */
export type OcsfEvent = { class_uid: number; type_uid: number; time: number } & Record<string, unknown>;

/** One stored record: the OCSF object plus the columns Warden indexes and the hash chain. */
export interface AuditRecord {
  seq: number;
  /** Event time, epoch milliseconds (same as `ocsf.time`). */
  time: number;
  kind: AuditKind;
  sandboxId: string | null;
  /** The human on whose behalf the agent acted (or who acted). */
  user: string;
  host: string | null;
  outcome: AuditOutcome | null;
  ocsf: OcsfEvent;
  prevHash: string;
  hash: string;
}

/** Filters shared by the API, the CLI and the store. Times are epoch milliseconds. */
export interface AuditFilter {
  sandbox?: string;
  kind?: AuditKind;
  host?: string;
  outcome?: AuditOutcome;
  /** Package tarballs fetched: `name` or `name@version` (request.ended records only). */
  package?: { name: string; version?: string };
  /** Inclusive lower bound on the event time. */
  since?: number;
  /** Exclusive upper bound on the event time. */
  until?: number;
}

/** `GET /v1/audit` query string (every value a string, as it arrives in a URL). */
export interface AuditQueryParams {
  sandbox?: string;
  kind?: string;
  host?: string;
  outcome?: string;
  /** `name` or `name@version` (`@scope/name@1.2.3`): the npm tarballs fetched of it. */
  package?: string;
  /** ISO-8601 or relative (`30m`, `1h`, `7d`). */
  since?: string;
  until?: string;
  /** 1…1000, default 100. */
  limit?: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** `desc` (newest first, the default) or `asc`. */
  order?: string;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Pass back as `cursor` for the next page; null when this page is the last. */
  nextCursor: string | null;
}

export interface AuditChainProblem {
  seq: number;
  problem: string;
}

export interface AuditAnchorStatus {
  /** `match`: head equals the anchor; `behind`: the anchor lags the database (records after it are
   * chained but not anchored, e.g. a crash between commit and anchor write); `missing`; `broken`. */
  state: 'match' | 'behind' | 'missing' | 'broken';
  headSeq?: number;
  count?: number;
  /** Records after the anchored head (state `behind`). */
  unanchored?: number;
}

/** `GET /v1/audit/chain`: the result of verifying the whole chain. */
export interface AuditChainStatus {
  ok: boolean;
  /** Records checked. */
  records: number;
  head: { seq: number; hash: string } | null;
  firstBad?: AuditChainProblem;
  anchor: AuditAnchorStatus;
  /** Where the chain starts: 1 (genesis) or the first record after a retention checkpoint. */
  startSeq: number | null;
  durationMs: number;
  /** The store's write fault (null when healthy); only set when asked of the daemon. */
  fault?: string | null;
}

/** Most buckets one `GET /v1/audit/histogram` answers. */
export const MAX_HISTOGRAM_BUCKETS = 500;

/** `GET /v1/audit/histogram` query string: the filters of `GET /v1/audit` (not kind), and a bucket count. */
export interface AuditHistogramParams {
  sandbox?: string;
  host?: string;
  outcome?: string;
  /** ISO-8601 or relative (`30m`, `1h`, `7d`); default one hour before `until`. */
  since?: string;
  /** Default now. */
  until?: string;
  /** 1…500, default 60. */
  buckets?: string;
}

/** Records per time bucket and kind, over [since, until). */
export interface AuditHistogram {
  since: number;
  until: number;
  /** Width of every bucket in milliseconds (the last one may end past `until`). */
  bucketMs: number;
  /** Start of each bucket, epoch milliseconds. */
  starts: number[];
  /** One count per bucket for each kind that has a record in the range, most records first. */
  kinds: Array<{ kind: AuditKind; counts: number[] }>;
  total: number;
}
