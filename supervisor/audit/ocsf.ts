// WardenEvent → OCSF 1.3 event object. Only named fields of the event are copied (never a
// spread), so nothing a producer attaches beyond the documented event shape reaches the
// database. The mapping table is in README.md.

import type { AuditKind, AuditOutcome, OcsfEvent } from '../api/audit-types.ts';
import type { RequestDecidedEvent, WardenEvent } from '../api/events.ts';

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

const SEVERITY: Record<number, string> = { 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High' };
const STATUS: Record<number, string> = { 0: 'Unknown', 1: 'Success', 2: 'Failure' };
const CATEGORY: Record<number, string> = { 2: 'Findings', 4: 'Network Activity', 6: 'Application Activity' };

interface ClassShape {
  classUid: number;
  className: string;
  categoryUid: number;
  activityId: number;
  activityName: string;
  severityId: number;
  statusId: number;
  message: string;
}

const HTTP_ACTIVITY: Record<string, number> = {
  CONNECT: 1,
  DELETE: 2,
  GET: 3,
  HEAD: 4,
  OPTIONS: 5,
  POST: 6,
  PUT: 7,
  TRACE: 8,
  PATCH: 9,
};

/** Epoch ms of an ISO time; an unparsable time falls back to `fallback` (the append time). */
export function eventTime(iso: string, fallback: number): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : fallback;
}

function shape(
  classUid: number,
  className: string,
  categoryUid: number,
  rest: Omit<ClassShape, 'classUid' | 'className' | 'categoryUid'>,
): ClassShape {
  return { classUid, className, categoryUid, ...rest };
}

function deviceOf(ctx: OcsfContext) {
  return { hostname: ctx.device.hostname, os: ctx.device.os, type: 'Desktop', type_id: 2 };
}

/** Without `uid` and `logged_time`, which the store adds when it assigns the seq. */
function metadataOf(ctx: OcsfContext) {
  return {
    log_name: 'warden-audit',
    product: { name: 'Warden', vendor_name: 'Warden', version: ctx.version },
    version: OCSF_VERSION,
  };
}

function base(s: ClassShape, time: number, user: string, sandboxId: string | null, ctx: OcsfContext) {
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

function srcEndpoint(sandboxId: string | null) {
  return sandboxId === null ? undefined : { name: sandboxId, type: 'Virtual', type_id: 6, uid: sandboxId };
}

function requestOutcome(outcome: RequestDecidedEvent['outcome']): {
  action: string;
  actionId: number;
  disposition: string;
  dispositionId: number;
} {
  return outcome === 'allowed'
    ? { action: 'Allowed', actionId: 1, disposition: 'Allowed', dispositionId: 1 }
    : { action: 'Denied', actionId: 2, disposition: 'Blocked', dispositionId: 2 };
}

function urlString(scheme: string, host: string, port: number, path: string): string {
  return `${scheme}://${host}:${port}${path}`;
}

function userActionActivity(action: string): [number, string] {
  const verb = action.slice(action.lastIndexOf('.') + 1).toLowerCase();
  if (['set', 'create', 'add', 'put'].includes(verb)) return [1, 'Create'];
  if (['get', 'read', 'list', 'show'].includes(verb)) return [2, 'Read'];
  if (['update', 'change', 'apply', 'rotate'].includes(verb)) return [3, 'Update'];
  if (['remove', 'delete', 'revoke'].includes(verb)) return [4, 'Delete'];
  return [99, 'Other'];
}

/** Map one event. `now` is used only when the event's own time cannot be parsed. */
export function toOcsf(event: WardenEvent | CheckpointEvent, ctx: OcsfContext, now: number): MappedEvent {
  const time = eventTime(event.time, now);
  switch (event.type) {
    case 'request.decided': {
      const e = event;
      const method = e.method.toUpperCase();
      const activityId = HTTP_ACTIVITY[method] ?? 99;
      const act = requestOutcome(e.outcome);
      const s = shape(4002, 'HTTP Activity', 4, {
        activityId,
        activityName: activityId === 99 ? method : method.charAt(0) + method.slice(1).toLowerCase(),
        severityId: e.outcome === 'allowed' ? 1 : 2,
        statusId: e.outcome === 'allowed' ? 1 : 2,
        message: `${method} ${e.scheme}://${e.host}${e.path} ${e.outcome.replace('_', ' ')}: ${e.reason}`,
      });
      const url = urlString(e.scheme, e.host, e.port, e.path);
      // Spelled out in sorted key order (this is the event recorded most); same fields as base().
      return {
        kind: e.type,
        time,
        sandboxId: e.sandboxId,
        user: e.user,
        host: e.host,
        outcome: e.outcome,
        ocsf: {
          action: act.action,
          action_id: act.actionId,
          activity_id: s.activityId,
          activity_name: s.activityName,
          actor: { user: { name: e.user, type: 'User', type_id: 1 } },
          category_name: CATEGORY[s.categoryUid],
          category_uid: s.categoryUid,
          class_name: s.className,
          class_uid: s.classUid,
          device: deviceOf(ctx),
          disposition: act.disposition,
          disposition_id: act.dispositionId,
          dst_endpoint: { hostname: e.host, ip: e.address, port: e.port },
          duration: e.durationMs,
          http_request: {
            http_method: method,
            uid: e.id,
            url: { hostname: e.host, path: e.path, port: e.port, scheme: e.scheme, url_string: url },
          },
          http_response: e.status === undefined ? undefined : { code: e.status },
          message: s.message,
          metadata: metadataOf(ctx),
          severity: SEVERITY[s.severityId],
          severity_id: s.severityId,
          src_endpoint: srcEndpoint(e.sandboxId),
          status: STATUS[s.statusId],
          status_detail: e.reason,
          status_id: s.statusId,
          time,
          traffic: { bytes: e.bytesUp + e.bytesDown, bytes_in: e.bytesDown, bytes_out: e.bytesUp },
          type_name: `${s.className}: ${s.activityName}`,
          type_uid: s.classUid * 100 + s.activityId,
          unmapped: {
            approval_id: e.approvalId,
            decided_by: e.decidedBy,
            intercepted: e.intercepted,
            outcome: e.outcome,
            reason: e.reason,
            request_id: e.id,
            rule: e.rule,
            sandbox_id: e.sandboxId,
            warden_kind: e.type,
          },
        },
      };
    }
    case 'approval.pending': {
      const e = event;
      const a = e.approval;
      const s = shape(6004, 'Web Resource Access Activity', 6, {
        activityId: 99,
        activityName: 'Access Request',
        severityId: 1,
        statusId: 0,
        message: `approval needed for ${a.method} ${a.scheme}://${a.host}${a.path}: ${a.reason}`,
      });
      return {
        kind: e.type,
        time,
        sandboxId: e.sandboxId,
        user: e.user,
        host: a.host,
        outcome: null,
        ocsf: {
          ...base(s, time, e.user, e.sandboxId, ctx),
          web_resources: [{ name: urlString(a.scheme, a.host, a.port, a.path), type: 'URL' }],
          http_request: {
            http_method: a.method.toUpperCase(),
            url: {
              scheme: a.scheme,
              hostname: a.host,
              port: a.port,
              path: a.path,
              url_string: urlString(a.scheme, a.host, a.port, a.path),
            },
          },
          unmapped: {
            warden_kind: e.type,
            sandbox_id: e.sandboxId,
            approval_id: a.id,
            created_at: a.createdAt,
            expires_at: a.expiresAt,
            reason: a.reason,
            rule: a.rule,
            suggested_rule: a.suggestedRule,
            waiting: a.waiting,
          },
        },
      };
    }
    case 'approval.answered': {
      const e = event;
      const allow = e.decision === 'allow';
      const s = shape(6004, 'Web Resource Access Activity', 6, {
        activityId: allow ? 1 : 2,
        activityName: allow ? 'Access Grant' : 'Access Deny',
        severityId: allow && e.scope === 'always' ? 2 : 1,
        statusId: 1,
        message: `${e.by} answered ${e.decision} (${e.scope}) for ${e.method} ${e.host}${e.path}`,
      });
      return {
        kind: e.type,
        time,
        sandboxId: e.sandboxId,
        user: e.user,
        host: e.host,
        outcome: allow ? 'allowed' : 'denied',
        ocsf: {
          ...base(s, time, e.user, e.sandboxId, ctx),
          // The human who answered is the actor of this record.
          actor: { user: { name: e.by, type: 'User', type_id: 1 } },
          web_resources: [{ name: `${e.host}${e.path}`, type: 'URL' }],
          http_request: { http_method: e.method.toUpperCase(), url: { hostname: e.host, path: e.path } },
          unmapped: {
            warden_kind: e.type,
            sandbox_id: e.sandboxId,
            sandbox_user: e.user,
            approval_id: e.approvalId,
            decision: e.decision,
            scope: e.scope,
            answered_by: e.by,
          },
        },
      };
    }
    case 'approval.expired': {
      const e = event;
      const s = shape(6004, 'Web Resource Access Activity', 6, {
        activityId: 2,
        activityName: 'Access Deny',
        severityId: 2,
        statusId: 2,
        message: `approval for ${e.method} ${e.host}${e.path} timed out after ${e.timeoutSeconds} s: denied`,
      });
      return {
        kind: e.type,
        time,
        sandboxId: e.sandboxId,
        user: e.user,
        host: e.host,
        outcome: 'timed_out',
        ocsf: {
          ...base(s, time, e.user, e.sandboxId, ctx),
          status_detail: 'approval timed out',
          web_resources: [{ name: `${e.host}${e.path}`, type: 'URL' }],
          http_request: { http_method: e.method.toUpperCase(), url: { hostname: e.host, path: e.path } },
          unmapped: {
            warden_kind: e.type,
            sandbox_id: e.sandboxId,
            approval_id: e.approvalId,
            timeout_seconds: e.timeoutSeconds,
          },
        },
      };
    }
    case 'secret.injected': {
      const e = event;
      const s = shape(6004, 'Web Resource Access Activity', 6, {
        activityId: 1,
        activityName: 'Access Grant',
        severityId: 1,
        statusId: 1,
        message: `secret ${e.secret} injected into a request to ${e.host}`,
      });
      return {
        kind: e.type,
        time,
        sandboxId: e.sandboxId,
        user: e.user,
        host: e.host,
        outcome: null,
        ocsf: {
          ...base(s, time, e.user, e.sandboxId, ctx),
          web_resources: [{ name: e.host, type: 'Host' }],
          unmapped: { warden_kind: e.type, sandbox_id: e.sandboxId, secret_name: e.secret },
        },
      };
    }
    case 'secret.exfiltration_blocked': {
      const e = event;
      const s = shape(2004, 'Detection Finding', 2, {
        activityId: 1,
        activityName: 'Create',
        severityId: 4,
        statusId: 1,
        message: `placeholder of secret ${e.secret} sent to ${e.host} (in ${e.where}): blocked`,
      });
      return {
        kind: e.type,
        time,
        sandboxId: e.sandboxId,
        user: e.user,
        host: e.host,
        outcome: 'denied',
        ocsf: {
          ...base(s, time, e.user, e.sandboxId, ctx),
          action: 'Denied',
          action_id: 2,
          disposition: 'Blocked',
          disposition_id: 2,
          finding_info: {
            uid: `exfil:${e.sandboxId}:${time}:${e.secret}`,
            title: 'Secret placeholder sent to a host it is not bound to',
            desc: `The placeholder of secret ${e.secret} appeared in the ${e.where} of ${e.method} ${e.host}${e.path}.`,
            types: ['Data Exfiltration'],
          },
          http_request: { http_method: e.method.toUpperCase(), url: { hostname: e.host, path: e.path } },
          unmapped: {
            warden_kind: e.type,
            sandbox_id: e.sandboxId,
            secret_name: e.secret,
            where: e.where,
          },
        },
      };
    }
    case 'policy.changed': {
      const e = event;
      const sandboxId = e.sandboxId ?? null;
      const s = shape(6003, 'API Activity', 6, {
        activityId: 3,
        activityName: 'Update',
        severityId: e.layer === 'base' ? 3 : 2,
        statusId: 1,
        message: `${e.layer} policy changed from ${e.source}${sandboxId ? ` for ${sandboxId}` : ''}: +${e.diff.added.length} -${e.diff.removed.length} ~${e.diff.changed.length} rules`,
      });
      return {
        kind: e.type,
        time,
        sandboxId,
        user: e.user,
        host: null,
        outcome: null,
        ocsf: {
          ...base(s, time, e.user, sandboxId, ctx),
          api: { operation: 'policy.apply', service: { name: 'warden-policy' } },
          resources: [{ type: 'policy', name: e.layer, uid: e.source }],
          unmapped: {
            warden_kind: e.type,
            sandbox_id: e.sandboxId,
            layer: e.layer,
            source: e.source,
            diff: e.diff,
          },
        },
      };
    }
    case 'sandbox.state': {
      const e = event;
      const [activityId, activityName] =
        e.state === 'RUNNING' ? [3, 'Start'] : e.state === 'STOPPED' ? [4, 'Stop'] : [99, e.state];
      const s = shape(6002, 'Application Lifecycle', 6, {
        activityId,
        activityName,
        severityId: e.state === 'ERROR' ? 3 : 1,
        statusId: e.state === 'ERROR' ? 2 : 1,
        message: `sandbox ${e.sandboxId}: ${e.previous} → ${e.state}${e.reason ? ` (${e.reason})` : ''}`,
      });
      return {
        kind: e.type,
        time,
        sandboxId: e.sandboxId,
        user: e.user,
        host: null,
        outcome: e.state === 'ERROR' ? 'error' : null,
        ocsf: {
          ...base(s, time, e.user, e.sandboxId, ctx),
          app: { name: 'warden-sandbox', uid: e.sandboxId, vendor_name: 'Warden', version: ctx.version },
          status_detail: e.reason,
          unmapped: {
            warden_kind: e.type,
            sandbox_id: e.sandboxId,
            state: e.state,
            previous: e.previous,
            reason: e.reason,
          },
        },
      };
    }
    case 'daemon.started':
    case 'daemon.stopping': {
      const e = event;
      const start = e.type === 'daemon.started';
      const s = shape(6002, 'Application Lifecycle', 6, {
        activityId: start ? 3 : 4,
        activityName: start ? 'Start' : 'Stop',
        severityId: 1,
        statusId: 1,
        message: `Warden supervisor ${e.version} (pid ${e.pid}) ${start ? 'started' : 'stopping'}`,
      });
      return {
        kind: e.type,
        time,
        sandboxId: null,
        user: e.user,
        host: null,
        outcome: null,
        ocsf: {
          ...base(s, time, e.user, null, ctx),
          app: { name: 'warden-supervisor', vendor_name: 'Warden', version: e.version },
          unmapped: { warden_kind: e.type, pid: e.pid, version: e.version },
        },
      };
    }
    case 'user.action': {
      const e = event;
      const sandboxId = e.sandboxId ?? null;
      const [activityId, activityName] = userActionActivity(e.action);
      const s = shape(6003, 'API Activity', 6, {
        activityId,
        activityName,
        severityId: 1,
        statusId: 1,
        message: `${e.user}: ${e.action} ${e.target}`,
      });
      return {
        kind: e.type,
        time,
        sandboxId,
        user: e.user,
        host: null,
        outcome: null,
        ocsf: {
          ...base(s, time, e.user, sandboxId, ctx),
          api: { operation: e.action, service: { name: 'warden-api' } },
          resources: [{ name: e.target, type: e.action.split('.')[0] ?? 'resource' }],
          unmapped: { warden_kind: e.type, sandbox_id: e.sandboxId, action: e.action, target: e.target },
        },
      };
    }
    case 'audit.checkpoint': {
      const e = event;
      const p = e.pruned;
      const s = shape(6003, 'API Activity', 6, {
        activityId: 4,
        activityName: 'Delete',
        severityId: 2,
        statusId: 1,
        message: `retention pruned ${p.count} audit records (seq ${p.fromSeq}…${p.throughSeq}): ${e.reason}`,
      });
      return {
        kind: e.type,
        time,
        sandboxId: null,
        user: e.user,
        host: null,
        outcome: null,
        ocsf: {
          ...base(s, time, e.user, null, ctx),
          api: { operation: 'audit.prune', service: { name: 'warden-audit' } },
          resources: [{ type: 'audit records', name: `${p.fromSeq}-${p.throughSeq}` }],
          unmapped: {
            warden_kind: e.type,
            reason: e.reason,
            pruned: {
              from_seq: p.fromSeq,
              through_seq: p.throughSeq,
              count: p.count,
              last_hash: p.lastHash,
              first_time: p.firstTime,
              last_time: p.lastTime,
            },
          },
        },
      };
    }
    default: {
      const unknown: never = event;
      throw new TypeError(`no OCSF mapping for event type ${(unknown as { type: string }).type}`);
    }
  }
}
