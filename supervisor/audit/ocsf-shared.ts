// Shared OCSF building blocks: the record types, lookup tables and the base object every
// mapped event starts from (classification, the human as actor, the sandbox as `ai_agent`,
// device, metadata with its profiles). The per-family mappings are in ocsf-web.ts and
// ocsf-ops.ts; the chain's `record_integrity` attestation is added on read (ocsf-integrity.ts).

import type { AuditKind, AuditOutcome, OcsfEvent } from '../api/audit-types.ts';
import type { PackageRef } from '../api/events.ts';
import { isoMillis } from './time.ts';

export const OCSF_VERSION = '1.9.0';

/** The machine the records are written on (OCSF `device`). */
export interface DeviceInfo {
  hostname: string;
  /** OCSF os object, e.g. `{ name: 'Linux', type: 'Linux', type_id: 200, version: '6.1.0' }`. */
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
/** A finding's status (Findings category): Warden's findings are new when recorded. */
const FINDING_STATUS: Record<number, string> = { 1: 'New' };
export const CATEGORY: Record<number, string> = {
  2: 'Findings',
  4: 'Network Activity',
  6: 'Application Activity',
};

/** Classes whose category carries the `ai_operation` profile (network, application): the sandbox as `ai_agent`. */
const AI_OPERATION_CATEGORIES = new Set([4, 6]);

/** OCSF os `type_id` by its caption (contexts written before 1.9 stored Linux as 100, Windows' id). */
const OS_TYPE_IDS: Record<string, number> = { Windows: 100, Linux: 200, macOS: 300 };

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

// The members that repeat from record to record (the device, the product, an actor, a
// sandbox) are built once and shared, deep-frozen: nothing may change them, and the OTLP
// encoder writes a shared object's bytes once (otlp/otlp-encode.ts). Readers that hand
// objects out copy them (canonicalCopy). The caches are small and bounded.

/** `v`, frozen all the way down (plain JSON data). */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    for (const member of Object.values(v)) deepFreeze(member);
    Object.freeze(v);
  }
  return v;
}

/** A bounded cache of shared values by a string key (cleared when full). */
function sharedBy<T>(limit: number, make: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      if (cache.size >= limit) cache.clear();
      v = deepFreeze(make(key));
      cache.set(key, v);
    }
    return v;
  };
}

const devices = new WeakMap<OcsfContext, object>();

export function deviceOf(ctx: OcsfContext) {
  let device = devices.get(ctx) as ReturnType<typeof makeDevice> | undefined;
  if (!device) {
    // A copy of the context's parts: the context object itself stays the caller's.
    device = deepFreeze(makeDevice(structuredClone(ctx.device)));
    devices.set(ctx, device);
  }
  return device;
}

function makeDevice(d: DeviceInfo) {
  const os = d.os;
  const typeId = OS_TYPE_IDS[os.type] ?? 99;
  return {
    hostname: d.hostname,
    os: typeId === os.type_id ? os : { ...os, type_id: typeId },
    type: 'Desktop',
    type_id: 2,
  };
}

const actors = sharedBy(1024, (name) => ({ user: { name, type: 'User', type_id: 1 } }));

/** The human on whose behalf the sandbox acts, or who acted (OCSF `actor.user`). */
export function actorOf(name: string): { user: { name: string; type: string; type_id: number } } {
  return actors(name);
}

/**
 * The sandbox as the OCSF 1.9 `ai_agent` (profile `ai_operation`): the agent that acts under
 * the authority the launching human (`actor.user`) delegated to it. Its uid is the sandbox id,
 * stable across restarts of the sandbox.
 */
export function aiAgentOf(sandboxId: string): { name: string; uid: string } {
  return agents(sandboxId);
}

const agents = sharedBy(1024, (id) => ({ name: id, uid: id }));

/** A policy verdict as the `security_control` profile's action and disposition. */
export function verdictOf(allowed: boolean) {
  return allowed
    ? { action: 'Allowed', action_id: 1, disposition: 'Allowed', disposition_id: 1 }
    : { action: 'Denied', action_id: 2, disposition: 'Blocked', disposition_id: 2 };
}

/** The profiles a record uses, sorted (`record_integrity` is added on read with the chain). */
export function profilesOf(opts: { agent: boolean; securityControl: boolean }): readonly string[] {
  return PROFILES[(opts.agent ? 1 : 0) + (opts.securityControl ? 2 : 0)]!;
}

const PROFILES = [0, 1, 2, 3].map((bits) => {
  const out: string[] = [];
  if (bits & 1) out.push('ai_operation');
  out.push('host'); // actor and device
  if (bits & 2) out.push('security_control');
  return deepFreeze(out);
});

/** Without `uid` and `logged_time`, which the store adds when it assigns the seq. */
export function metadataOf(ctx: OcsfContext, profiles: readonly string[]) {
  return {
    log_name: 'warden-audit',
    product: products(ctx.version),
    profiles,
    version: OCSF_VERSION,
  };
}

const products = sharedBy(64, (version) => ({ name: 'Warden', vendor_name: 'Warden', version }));

export interface BaseOptions {
  /** Who acted when it is not the sandbox's human (an approval's answerer). */
  actor?: string;
  /** The policy verdict (profile `security_control`), when the record decides something. */
  verdict?: 'allowed' | 'denied';
}

/**
 * The members every record has: classification, the human as `actor`, the sandbox as
 * `ai_agent` (network and application classes; a finding carries it in its evidence), the
 * device, metadata, and for network and API classes the sandbox as `src_endpoint`.
 */
export function base(
  s: ClassShape,
  time: number,
  user: string,
  sandboxId: string | null,
  ctx: OcsfContext,
  opts: BaseOptions = {},
) {
  const agent = sandboxId !== null && AI_OPERATION_CATEGORIES.has(s.categoryUid);
  const verdict = opts.verdict === undefined ? undefined : verdictOf(opts.verdict === 'allowed');
  return {
    ...verdict,
    activity_id: s.activityId,
    activity_name: s.activityName,
    actor: actorOf(opts.actor ?? user),
    ai_agent: agent ? aiAgentOf(sandboxId) : undefined,
    category_name: CATEGORY[s.categoryUid],
    category_uid: s.categoryUid,
    class_name: s.className,
    class_uid: s.classUid,
    device: deviceOf(ctx),
    message: s.message,
    metadata: metadataOf(ctx, profilesOf({ agent, securityControl: verdict !== undefined })),
    severity: SEVERITY[s.severityId],
    severity_id: s.severityId,
    src_endpoint: sourceOf(s, sandboxId, ctx),
    status: (s.categoryUid === 2 ? FINDING_STATUS : STATUS)[s.statusId],
    status_id: s.statusId,
    time,
    type_name: `${s.className}: ${s.activityName}`,
    type_uid: s.classUid * 100 + s.activityId,
  };
}

// Nested objects are written with their keys in code-unit order: canonicalJson then passes
// them to JSON.stringify without copying (see canonical.ts). The order is not a contract;
// canonicalJson sorts whatever it is given.

/**
 * The sandbox (a microVM) as the network source, in the classes that have one; an API
 * Activity without a sandbox (a human at the CLI or app) came from this device.
 */
function sourceOf(s: ClassShape, sandboxId: string | null, ctx: OcsfContext) {
  if (s.classUid === 6002 || s.categoryUid === 2) return undefined;
  if (sandboxId === null && s.classUid === 6003) return { hostname: ctx.device.hostname };
  return srcEndpoint(sandboxId);
}

export function srcEndpoint(sandboxId: string | null) {
  return sandboxId === null ? undefined : sources(sandboxId);
}

const sources = sharedBy(1024, (id) => ({ name: id, type: 'Virtual', type_id: 6, uid: id }));

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
