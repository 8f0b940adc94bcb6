// OCSF mappings of the web-facing events: decided requests, approvals and secrets.

import type {
  ApprovalAnsweredEvent,
  ApprovalCancelledEvent,
  ApprovalExpiredEvent,
  ApprovalPendingEvent,
  RequestDecidedEvent,
  SecretExfiltrationBlockedEvent,
  SecretInjectedEvent,
  SecretRedactedEvent,
} from '../api/events.ts';
import { HTTP_ACTIVITY, httpMethodOf } from './ocsf-http-methods.ts';
import {
  actorOf,
  aiAgentOf,
  base,
  CATEGORY,
  type ClassShape,
  deviceOf,
  type MappedEvent,
  metadataOf,
  type OcsfContext,
  packageOf,
  profilesOf,
  SEVERITY,
  STATUS,
  shape,
  srcEndpoint,
  verdictOf,
} from './ocsf-shared.ts';

function urlString(scheme: string, host: string, port: number, path: string): string {
  return `${scheme}://${host}:${port}${path}`;
}

/** The path with its query, as a human is shown it (records without a query: the path). */
export function pathQuery(path: string, query: string | undefined): string {
  return query ? `${path}?${query}` : path;
}

/** Web Resource Access Activity (6004), the class of approvals and secret injection. */
export function webAccess(rest: Omit<ClassShape, 'classUid' | 'className' | 'categoryUid'>): ClassShape {
  return shape(6004, 'Web Resource Access Activity', 6, rest);
}

/** The resource and request of an event that names only a method, host, path and query. */
export function hostPathResource(method: string, host: string, path: string, query: string | undefined) {
  return {
    web_resources: [{ name: `${host}${pathQuery(path, query)}`, type: 'URL' }],
    http_request: {
      http_method: httpMethodOf(method),
      url: { hostname: host, path, ...(query ? { query_string: query } : {}) },
    },
  };
}

const REQUEST_PROFILES = profilesOf({ agent: true, securityControl: true });

export function mapRequestDecided(e: RequestDecidedEvent, time: number, ctx: OcsfContext): MappedEvent {
  const method = e.method.toUpperCase();
  const [activityId, activityName] = HTTP_ACTIVITY[method] ?? [99, method];
  const act = verdictOf(e.outcome === 'allowed');
  const s = shape(4002, 'HTTP Activity', 4, {
    activityId,
    activityName,
    severityId: e.outcome === 'allowed' ? 1 : 2,
    statusId: e.outcome === 'allowed' ? 1 : 2,
    message: `${method} ${e.scheme}://${e.host}${pathQuery(e.path, e.query)} ${e.outcome.replace('_', ' ')}: ${e.reason}`,
  });
  const url = urlString(e.scheme, e.host, e.port, pathQuery(e.path, e.query));
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
      action_id: act.action_id,
      activity_id: s.activityId,
      activity_name: s.activityName,
      actor: actorOf(e.user),
      ai_agent: aiAgentOf(e.sandboxId),
      category_name: CATEGORY[s.categoryUid],
      category_uid: s.categoryUid,
      class_name: s.className,
      class_uid: s.classUid,
      device: deviceOf(ctx),
      disposition: act.disposition,
      disposition_id: act.disposition_id,
      dst_endpoint: { hostname: e.host, ip: e.address, port: e.port },
      duration: e.durationMs,
      http_request: {
        http_method: activityId === 99 ? undefined : method,
        uid: e.id,
        url: {
          hostname: e.host,
          path: e.path,
          port: e.port,
          query_string: e.query,
          scheme: e.scheme,
          url_string: url,
        },
      },
      http_response: e.status === undefined ? undefined : { code: e.status },
      message: s.message,
      metadata: metadataOf(ctx, REQUEST_PROFILES),
      severity: SEVERITY[s.severityId],
      severity_id: s.severityId,
      src_endpoint: srcEndpoint(e.sandboxId),
      status: STATUS[s.statusId],
      status_detail: e.reason,
      status_id: s.statusId,
      time,
      // Only records from before request.ended carry traffic here.
      traffic:
        e.bytesUp === undefined || e.bytesDown === undefined
          ? undefined
          : { bytes: e.bytesUp + e.bytesDown, bytes_in: e.bytesDown, bytes_out: e.bytesUp },
      type_name: `${s.className}: ${s.activityName}`,
      type_uid: s.classUid * 100 + s.activityId,
      unmapped: {
        approval_id: e.approvalId,
        decided_by: e.decidedBy,
        intercepted: e.intercepted,
        method: activityId === 99 ? method : undefined,
        outcome: e.outcome,
        ...(e.package ? { package: packageOf(e.package) } : {}),
        reason: e.reason,
        request_id: e.id,
        rule: e.rule,
        sandbox_id: e.sandboxId,
        warden_kind: e.type,
      },
    },
  };
}

export function mapApprovalPending(e: ApprovalPendingEvent, time: number, ctx: OcsfContext): MappedEvent {
  const a = e.approval;
  const s = webAccess({
    activityId: 99,
    activityName: 'Access Request',
    severityId: 1,
    statusId: 0,
    message: `approval needed for ${a.method} ${a.scheme}://${a.host}${pathQuery(a.path, a.query)}: ${a.reason}`,
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
      web_resources: [{ name: urlString(a.scheme, a.host, a.port, pathQuery(a.path, a.query)), type: 'URL' }],
      http_request: {
        http_method: httpMethodOf(a.method),
        url: {
          scheme: a.scheme,
          hostname: a.host,
          port: a.port,
          path: a.path,
          ...(a.query ? { query_string: a.query } : {}),
          url_string: urlString(a.scheme, a.host, a.port, pathQuery(a.path, a.query)),
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
        mcp: a.mcp,
        ...(a.package ? { package: a.package } : {}),
      },
    },
  };
}

export function mapApprovalAnswered(e: ApprovalAnsweredEvent, time: number, ctx: OcsfContext): MappedEvent {
  const allow = e.decision === 'allow';
  const s = webAccess({
    activityId: allow ? 1 : 2,
    activityName: allow ? 'Access Grant' : 'Access Deny',
    severityId: allow && e.scope === 'always' ? 2 : 1,
    statusId: 1,
    message: `${e.by}${e.client ? ` (${e.client})` : ''} answered ${e.decision} (${e.scope}) for ${e.method} ${e.host}${pathQuery(e.path, e.query)}`,
  });
  return {
    kind: e.type,
    time,
    sandboxId: e.sandboxId,
    user: e.user,
    host: e.host,
    outcome: allow ? 'allowed' : 'denied',
    ocsf: {
      // The human who answered is the actor of this record.
      ...base(s, time, e.user, e.sandboxId, ctx, { actor: e.by }),
      ...hostPathResource(e.method, e.host, e.path, e.query),
      unmapped: {
        warden_kind: e.type,
        sandbox_id: e.sandboxId,
        sandbox_user: e.user,
        approval_id: e.approvalId,
        decision: e.decision,
        scope: e.scope,
        answered_by: e.by,
        ...(e.client ? { answered_client: e.client } : {}),
        ...(e.reason ? { reason: e.reason } : {}),
      },
    },
  };
}

export function mapApprovalExpired(e: ApprovalExpiredEvent, time: number, ctx: OcsfContext): MappedEvent {
  const s = webAccess({
    activityId: 2,
    activityName: 'Access Deny',
    severityId: 2,
    statusId: 2,
    message: `approval for ${e.method} ${e.host}${pathQuery(e.path, e.query)} timed out after ${e.timeoutSeconds} s: denied`,
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
      ...hostPathResource(e.method, e.host, e.path, e.query),
      unmapped: {
        warden_kind: e.type,
        sandbox_id: e.sandboxId,
        approval_id: e.approvalId,
        timeout_seconds: e.timeoutSeconds,
      },
    },
  };
}

/** Nobody answered and nobody will: the sandbox went away or the daemon stopped. The waiting requests are refused. */
export function mapApprovalCancelled(e: ApprovalCancelledEvent, time: number, ctx: OcsfContext): MappedEvent {
  const s = webAccess({
    activityId: 2,
    activityName: 'Access Deny',
    severityId: 1,
    statusId: 2,
    message: `approval for ${e.method} ${e.host}${pathQuery(e.path, e.query)} cancelled: ${e.reason}`,
  });
  return {
    kind: e.type,
    time,
    sandboxId: e.sandboxId,
    user: e.user,
    host: e.host,
    outcome: 'error',
    ocsf: {
      ...base(s, time, e.user, e.sandboxId, ctx),
      status_detail: `approval cancelled: ${e.reason}`,
      ...hostPathResource(e.method, e.host, e.path, e.query),
      unmapped: {
        warden_kind: e.type,
        sandbox_id: e.sandboxId,
        approval_id: e.approvalId,
        reason: e.reason,
      },
    },
  };
}

/** A finding's evidence: the sandbox (as the agent and as the source) and the request it sent. */
function evidenceOf(sandboxId: string, method: string, host: string, path: string) {
  return {
    ai_agent: aiAgentOf(sandboxId),
    http_request: { http_method: httpMethodOf(method), url: { hostname: host, path } },
    src_endpoint: srcEndpoint(sandboxId),
  };
}

export function mapSecretInjected(e: SecretInjectedEvent, time: number, ctx: OcsfContext): MappedEvent {
  const s = webAccess({
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
      // Which request is not recorded (only the host it was bound to): a network-path reference.
      http_request: { url: { hostname: e.host, url_string: `//${e.host}` } },
      web_resources: [{ name: e.host, type: 'Host' }],
      unmapped: { warden_kind: e.type, sandbox_id: e.sandboxId, secret_name: e.secret },
    },
  };
}

export function mapSecretExfiltrationBlocked(
  e: SecretExfiltrationBlockedEvent,
  time: number,
  ctx: OcsfContext,
): MappedEvent {
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
      ...base(s, time, e.user, e.sandboxId, ctx, { verdict: 'denied' }),
      evidences: [evidenceOf(e.sandboxId, e.method, e.host, e.path)],
      finding_info: {
        uid: `exfil:${e.sandboxId}:${time}:${e.secret}`,
        title: 'Secret placeholder sent to a host it is not bound to',
        desc: `The placeholder of secret ${e.secret} appeared in the ${e.where} of ${e.method} ${e.host}${e.path}.`,
        types: ['Data Exfiltration'],
      },
      unmapped: {
        warden_kind: e.type,
        sandbox_id: e.sandboxId,
        secret_name: e.secret,
        where: e.where,
      },
    },
  };
}

export function mapSecretRedacted(e: SecretRedactedEvent, time: number, ctx: OcsfContext): MappedEvent {
  const s = shape(2004, 'Detection Finding', 2, {
    activityId: 1,
    activityName: 'Create',
    severityId: 3,
    statusId: 1,
    message: `the value of secret ${e.secret} came back from ${e.host} (in ${e.where}): redacted`,
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
      disposition: 'Corrected',
      disposition_id: 11,
      evidences: [evidenceOf(e.sandboxId, e.method, e.host, e.path)],
      metadata: metadataOf(ctx, profilesOf({ agent: false, securityControl: true })),
      finding_info: {
        uid: `redact:${e.sandboxId}:${time}:${e.secret}`,
        title: 'Secret value in a response, redacted before the agent saw it',
        desc: `The value of secret ${e.secret} appeared in the ${e.where} of the answer to ${e.method} ${e.host}${e.path}.`,
        types: ['Data Exposure'],
      },
      unmapped: { warden_kind: e.type, sandbox_id: e.sandboxId, secret_name: e.secret, where: e.where },
    },
  };
}
