// OCSF mapping of an `always` answer taken back: Web Resource Access Activity, its actor the
// human who revoked it, with the tool they used and whether the session rule was still there.

import type { ApprovalRevokedEvent } from '../api/events.ts';
import { base, type MappedEvent, type OcsfContext } from './ocsf-shared.ts';
import { hostPathResource, pathQuery, webAccess } from './ocsf-web.ts';

export function mapApprovalRevoked(e: ApprovalRevokedEvent, time: number, ctx: OcsfContext): MappedEvent {
  const s = webAccess({
    activityId: 99,
    activityName: 'Other',
    severityId: 1,
    statusId: 1,
    message: `${e.by} (${e.client}) revoked the "always ${e.decision}" answer for ${e.method} ${e.host}${pathQuery(e.path, e.query)}${e.ruleRemoved ? '' : ' (its rule was already gone)'}`,
  });
  return {
    kind: e.type,
    time,
    sandboxId: e.sandboxId,
    user: e.user,
    host: e.host,
    outcome: null,
    ocsf: {
      ...base(s, time, e.user, e.sandboxId, ctx, { actor: e.by }),
      ...hostPathResource(e.method, e.host, e.path, e.query),
      unmapped: {
        warden_kind: e.type,
        sandbox_id: e.sandboxId,
        sandbox_user: e.user,
        approval_id: e.approvalId,
        decision: e.decision,
        revoked_by: e.by,
        revoked_client: e.client,
        rule_removed: e.ruleRemoved,
      },
    },
  };
}
