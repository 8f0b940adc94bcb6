// OCSF mappings of the operational events: policy, user actions, sandbox and daemon
// lifecycle, and the store's retention checkpoint.

import type { DaemonEvent, PolicyChangedEvent, SandboxStateEvent, UserActionEvent } from '../api/events.ts';
import { base, type CheckpointEvent, type MappedEvent, type OcsfContext, shape } from './ocsf-shared.ts';

function userActionActivity(action: string): [number, string] {
  const verb = action.slice(action.lastIndexOf('.') + 1).toLowerCase();
  if (['set', 'create', 'add', 'put'].includes(verb)) return [1, 'Create'];
  if (['get', 'read', 'list', 'show'].includes(verb)) return [2, 'Read'];
  if (['update', 'change', 'apply', 'rotate'].includes(verb)) return [3, 'Update'];
  if (['remove', 'delete', 'revoke'].includes(verb)) return [4, 'Delete'];
  return [99, 'Other'];
}

export function mapPolicyChanged(e: PolicyChangedEvent, time: number, ctx: OcsfContext): MappedEvent {
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

export function mapSandboxState(e: SandboxStateEvent, time: number, ctx: OcsfContext): MappedEvent {
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
        agents: e.agents,
      },
    },
  };
}

export function mapDaemon(e: DaemonEvent, time: number, ctx: OcsfContext): MappedEvent {
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

export function mapUserAction(e: UserActionEvent, time: number, ctx: OcsfContext): MappedEvent {
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

export function mapCheckpoint(e: CheckpointEvent, time: number, ctx: OcsfContext): MappedEvent {
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
