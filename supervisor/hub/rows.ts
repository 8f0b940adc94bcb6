// Row ↔ object conversions shared by both stores (column names are the same in both).

import type { HubRecord } from '../api/hub.ts';
import type { DeviceRow, ExportKind, ExportTargetRow, NewDevice } from './store.ts';

export interface DeviceColumns {
  id: string;
  public_key: string;
  user: string;
  machine: string;
  os: string;
  version: string;
  enrolled_at: number | string;
  revoked_at: number | string | null;
  start_seq: number | string;
  start_prev: string;
  enroll_head_seq: number | string | null;
  enroll_head_hash: string | null;
  head_seq: number | string | null;
  head_hash: string | null;
  last_seen: number | string | null;
  backlog: number | string | null;
  challenge: string | null;
  default_partition: number | boolean;
}

const num = (v: number | string): number => Number(v);
const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function deviceFromRow(r: DeviceColumns): DeviceRow {
  return {
    id: r.id,
    publicKey: r.public_key,
    user: r.user,
    machine: r.machine,
    os: r.os,
    version: r.version,
    enrolledAt: num(r.enrolled_at),
    revokedAt: numOrNull(r.revoked_at),
    startSeq: num(r.start_seq),
    startPrev: r.start_prev,
    enrollHead:
      r.enroll_head_seq === null || r.enroll_head_hash === null
        ? null
        : { seq: num(r.enroll_head_seq), hash: r.enroll_head_hash },
    head: r.head_seq === null || r.head_hash === null ? null : { seq: num(r.head_seq), hash: r.head_hash },
    lastSeen: numOrNull(r.last_seen),
    backlog: numOrNull(r.backlog),
    challenge: r.challenge === null ? null : (JSON.parse(r.challenge) as number[]),
    defaultPartition: Boolean(r.default_partition),
  };
}

/** The record columns in insert order (after `device`). */
export const RECORD_COLUMNS = [
  'seq',
  'time',
  'kind',
  'sandbox_id',
  'user',
  'host',
  'outcome',
  'body',
  'ctx',
  'logged',
  'prev_hash',
  'hash',
] as const;

export interface RecordColumns {
  seq: number | string;
  time: number | string;
  kind: string;
  sandbox_id: string | null;
  user: string;
  host: string | null;
  outcome: string | null;
  body: string;
  ctx: string | null;
  logged: number | string | null;
  prev_hash: string;
  hash: string;
}

export function recordFromRow(r: RecordColumns): HubRecord {
  return {
    seq: num(r.seq),
    time: num(r.time),
    kind: r.kind,
    sandbox_id: r.sandbox_id,
    user: r.user,
    host: r.host,
    outcome: r.outcome,
    body: r.body,
    ctx: r.ctx,
    logged: numOrNull(r.logged),
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}

/** A record row as an array, in RECORD_COLUMNS order (SQLite's raw rows). */
export type RecordArray = [
  number,
  number,
  string,
  string | null,
  string,
  string | null,
  string | null,
  string,
  string | null,
  number | null,
  string,
  string,
];

export function recordFromArray(r: RecordArray): HubRecord {
  return {
    seq: r[0],
    time: r[1],
    kind: r[2],
    sandbox_id: r[3],
    user: r[4],
    host: r[5],
    outcome: r[6],
    body: r[7],
    ctx: r[8],
    logged: r[9],
    prev_hash: r[10],
    hash: r[11],
  };
}

export function recordValues(r: HubRecord): unknown[] {
  return [
    r.seq,
    r.time,
    r.kind,
    r.sandbox_id,
    r.user,
    r.host,
    r.outcome,
    r.body,
    r.ctx,
    r.logged,
    r.prev_hash,
    r.hash,
  ];
}

export interface ExportColumns {
  name: string;
  kind: string;
  target: string;
  token_file: string | null;
  created: number | string;
  cursor: string;
  exported: number | string;
  last_error: string | null;
  last_attempt: number | string;
  last_success: number | string | null;
}

export function exportFromRow(r: ExportColumns): ExportTargetRow {
  return {
    name: r.name,
    kind: r.kind as ExportKind,
    target: r.target,
    tokenFile: r.token_file,
    created: num(r.created),
    cursor: JSON.parse(r.cursor) as Record<string, number>,
    exported: num(r.exported),
    lastError: r.last_error,
    lastAttempt: num(r.last_attempt),
    lastSuccess: numOrNull(r.last_success),
  };
}

/**
 * The enrollment insert both stores run (a device enrolling again keeps its key and start,
 * and updates what it says of itself); `param(i)` spells the store's i-th placeholder.
 */
export function newDeviceInsert(param: (i: number) => string): string {
  const columns = [
    'id',
    'public_key',
    '"user"',
    'machine',
    'os',
    'version',
    'enrolled_at',
    'start_seq',
    'start_prev',
    'enroll_head_seq',
    'enroll_head_hash',
  ];
  return (
    `INSERT INTO devices (${columns.join(', ')}) VALUES (${columns.map((_, i) => param(i + 1)).join(', ')}) ` +
    'ON CONFLICT (id) DO UPDATE SET "user" = excluded."user", machine = excluded.machine, os = excluded.os, ' +
    'version = excluded.version'
  );
}

/** The values of newDeviceInsert, in its column order. */
export function newDeviceValues(d: NewDevice): unknown[] {
  return [
    d.id,
    d.publicKey,
    d.user,
    d.machine,
    d.os,
    d.version,
    d.enrolledAt,
    d.startSeq,
    d.startPrev,
    d.enrollHead?.seq ?? null,
    d.enrollHead?.hash ?? null,
  ];
}

/** The gaps table as GapRow (store.ts). */
export const GAP_SELECT =
  'SELECT device, from_seq AS "fromSeq", through_seq AS "throughSeq", last_hash AS "lastHash", ' +
  'checkpoint_seq AS "checkpointSeq", at FROM gaps';
