// Shared OCSF building blocks: the record types, lookup tables and the base object every
// mapped event starts from. The per-family mappings are in ocsf-web.ts and ocsf-ops.ts.

import type { AuditKind, AuditOutcome, OcsfEvent } from '../api/audit-types.ts';
import type { PackageRef } from '../api/events.ts';
import { isoMillis } from './time.ts';

export const OCSF_VERSION = '1.3.0';

/** The machine the records are written on (OCSF `device`). */
export interface DeviceInfo {
  hostname: string;
  /** OCSF os object, e.g. `{ name: 'Linux', type: 'Linux', type_id: 100, version: '6.1.0' }`. */
  os: { name: string; type: string; type_id: number; version?: string };
}

export interface OcsfContext {
  device: DeviceInfo;
  /** Warden's version (metadata.product.version). */
  version: string;
}

/** What the store writes for one event, before seq and hashes are known. */
export interface MappedEvent {
  kind: AuditKind;
  time: number;
  sandboxId: string | null;
  user: string;
  host: string | null;
  outcome: AuditOutcome | null;
  /** Without `metadata.uid` (the record's seq, set by the store). */
  ocsf: OcsfEvent;
}

/** The retention checkpoint the store appends when it prunes (kind `audit.checkpoint`). */
export interface CheckpointEvent {
  type: 'audit.checkpoint';
  time: string;
  user: string;
  reason: string;
  pruned: {
    fromSeq: number;
    throughSeq: number;
    count: number;
    /** Hash of the last pruned record: the prev_hash of the first record kept. */
    lastHash: string;
    firstTime: number;
    lastTime: number;
  };
}

export const SEVERITY: Record<number, string> = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High' };
export const STATUS: Record<number, string> = { 0: 'Unknown', 1: 'Success', 2: 'Failure' };
export const CATEGORY: Record<number, string> = {
  2: 'Findings',
  4: 'Network Activity',
  6: 'Application Activity',
};

export interface ClassShape {
  classUid: number;
  className: string;
  categoryUid: number;
  activityId: number;
  activityName: string;
  severityId: number;
  statusId: number;
  message: string;
}

/** Epoch ms of an ISO time; an unparsable time falls back to `fallback` (the append time). */
export function eventTime(iso: string, fallback: number): number {
  const fast = isoMillis(iso);
  if (!Number.isNaN(fast)) return fast;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : fallback;
}

export function shape(
  classUid: number,
  className: string,
  categoryUid: number,
  rest: Omit<ClassShape, 'classUid' | 'className' | 'categoryUid'>,
): ClassShape {
  return { classUid, className, categoryUid, ...rest };
}

export function deviceOf(ctx: OcsfContext) {
  return { hostname: ctx.device.hostname, os: ctx.device.os, type: 'Desktop', type_id: 2 };
}

/** Without `uid` and `logged_time`, which the store adds when it assigns the seq. */
export function metadataOf(ctx: OcsfContext) {
  return {
    log_name: 'warden-audit',
    product: { name: 'Warden', vendor_name: 'Warden', version: ctx.version },
    version: OCSF_VERSION,
  };
}

export function base(s: ClassShape, time: number, user: string, sandboxId: string | null, ctx: OcsfContext) {
  return {
    class_uid: s.classUid,
    class_name: s.className,
    category_uid: s.categoryUid,
    category_name: CATEGORY[s.categoryUid],
    activity_id: s.activityId,
    activity_name: s.activityName,
    type_uid: s.classUid * 100 + s.activityId,
    type_name: `${s.className}: ${s.activityName}`,
    severity_id: s.severityId,
    severity: SEVERITY[s.severityId],
    status_id: s.statusId,
    status: STATUS[s.statusId],
    time,
    message: s.message,
    actor: { user: { name: user, type: 'User', type_id: 1 } },
    device: deviceOf(ctx),
    metadata: metadataOf(ctx),
    // The agent's identity: its sandbox (a microVM), as the source of the activity.
    src_endpoint: srcEndpoint(sandboxId),
  };
}

// Nested objects are written with their keys in code-unit order: canonicalJson then passes
// them to JSON.stringify without copying (see canonical.ts). The order is not a contract;
// canonicalJson sorts whatever it is given.

export function srcEndpoint(sandboxId: string | null) {
  return sandboxId === null ? undefined : { name: sandboxId, type: 'Virtual', type_id: 6, uid: sandboxId };
}

/** A package version as the OCSF record's `unmapped.package` (snake case, like the rest). */
export function packageOf(p: PackageRef): Record<string, unknown> {
  return {
    ecosystem: p.ecosystem,
    name: p.name,
    version: p.version,
    ...(p.integrity ? { integrity: p.integrity } : {}),
    ...(p.publishedAt ? { published_at: p.publishedAt } : {}),
  };
}
