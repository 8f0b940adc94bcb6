// WardenEvent → OCSF 1.9 event object. Only named fields of the event are copied (never a
// spread), so nothing a producer attaches beyond the documented event shape reaches the
// database. The mapping table is in README.md. Shared pieces are in ocsf-shared.ts; the
// mappings per event family in ocsf-web.ts and ocsf-ops.ts.

import type { WardenEvent } from '../api/events.ts';
import { mapApprovalRevoked } from './ocsf-approval-revoked.ts';
import { mapMcpCall } from './ocsf-mcp.ts';
import { mapCheckpoint, mapDaemon, mapPolicyChanged, mapSandboxState, mapUserAction } from './ocsf-ops.ts';
import { mapRequestEnded } from './ocsf-request-ended.ts';
import { type CheckpointEvent, eventTime, type MappedEvent, type OcsfContext } from './ocsf-shared.ts';
import {
  mapApprovalAnswered,
  mapApprovalCancelled,
  mapApprovalExpired,
  mapApprovalPending,
  mapRequestDecided,
  mapSecretExfiltrationBlocked,
  mapSecretInjected,
  mapSecretRedacted,
} from './ocsf-web.ts';

export type { CheckpointEvent, DeviceInfo, MappedEvent, OcsfContext } from './ocsf-shared.ts';
export { eventTime, OCSF_VERSION } from './ocsf-shared.ts';

/** Map one event. `now` is used only when the event's own time cannot be parsed. */
export function toOcsf(event: WardenEvent | CheckpointEvent, ctx: OcsfContext, now: number): MappedEvent {
  const time = eventTime(event.time, now);
  switch (event.type) {
    case 'request.decided':
      return mapRequestDecided(event, time, ctx);
    case 'request.ended':
      return mapRequestEnded(event, time, ctx);
    case 'approval.pending':
      return mapApprovalPending(event, time, ctx);
    case 'approval.answered':
      return mapApprovalAnswered(event, time, ctx);
    case 'approval.expired':
      return mapApprovalExpired(event, time, ctx);
    case 'approval.cancelled':
      return mapApprovalCancelled(event, time, ctx);
    case 'approval.revoked':
      return mapApprovalRevoked(event, time, ctx);
    case 'secret.injected':
      return mapSecretInjected(event, time, ctx);
    case 'secret.exfiltration_blocked':
      return mapSecretExfiltrationBlocked(event, time, ctx);
    case 'secret.redacted':
      return mapSecretRedacted(event, time, ctx);
    case 'mcp.call':
      return mapMcpCall(event, time, ctx);
    case 'policy.changed':
      return mapPolicyChanged(event, time, ctx);
    case 'sandbox.state':
      return mapSandboxState(event, time, ctx);
    case 'daemon.started':
    case 'daemon.stopping':
      return mapDaemon(event, time, ctx);
    case 'user.action':
      return mapUserAction(event, time, ctx);
    case 'audit.checkpoint':
      return mapCheckpoint(event, time, ctx);
    default: {
      const unknown: never = event;
      throw new TypeError(`no OCSF mapping for event type ${(unknown as { type: string }).type}`);
    }
  }
}
