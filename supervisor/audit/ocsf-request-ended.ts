// OCSF mapping of `request.ended`: the end of an allowed request or tunnel, as Network
// Activity (4001) — Close when it ran to its end, Reset when Warden stopped it midway, Fail
// when it failed — with its traffic and duration. Its decision is the `request.decided`
// record (HTTP Activity) with the same request id.

import type { RequestEndedEvent } from '../api/events.ts';
import { base, type MappedEvent, type OcsfContext, packageOf, shape } from './ocsf-shared.ts';

const ACTIVITY: Record<RequestEndedEvent['outcome'], { id: number; name: string }> = {
  allowed: { id: 2, name: 'Close' },
  denied: { id: 3, name: 'Reset' },
  error: { id: 4, name: 'Fail' },
  timed_out: { id: 4, name: 'Fail' },
};

export function mapRequestEnded(e: RequestEndedEvent, time: number, ctx: OcsfContext): MappedEvent {
  const activity = ACTIVITY[e.outcome] ?? ACTIVITY.error;
  const ok = e.outcome === 'allowed';
  const bytes = e.bytesUp + e.bytesDown;
  const s = shape(4001, 'Network Activity', 4, {
    activityId: activity.id,
    activityName: activity.name,
    severityId: ok ? 1 : 2,
    statusId: ok ? 1 : 2,
    message: `${e.method.toUpperCase()} ${e.scheme}://${e.host}${e.path} ended (${e.outcome.replace('_', ' ')}, ${bytes} bytes${tokens(e)}${pkg(e)}): ${e.reason}`,
  });
  return {
    kind: e.type,
    time,
    sandboxId: e.sandboxId,
    user: e.user,
    host: e.host,
    outcome: e.outcome,
    ocsf: {
      ...base(s, time, e.user, e.sandboxId, ctx),
      dst_endpoint: { hostname: e.host, ip: e.address, port: e.port },
      duration: e.durationMs,
      status_detail: e.reason,
      traffic: { bytes, bytes_in: e.bytesDown, bytes_out: e.bytesUp },
      unmapped: {
        warden_kind: e.type,
        sandbox_id: e.sandboxId,
        request_id: e.id,
        method: e.method.toUpperCase(),
        scheme: e.scheme,
        path: e.path,
        status: e.status,
        outcome: e.outcome,
        reason: e.reason,
        ...(e.usage ? { usage: usageOf(e.usage) } : {}),
        ...(e.redactions ? { redactions: e.redactions } : {}),
        ...(e.package ? { package: packageOf(e.package) } : {}),
      },
    },
  };
}

function pkg(e: RequestEndedEvent): string {
  return e.package ? `, ${e.package.ecosystem} ${e.package.name}@${e.package.version}` : '';
}

function tokens(e: RequestEndedEvent): string {
  const u = e.usage;
  if (!u) return '';
  return `, ${u.model} ${u.inputTokens}+${u.cacheReadTokens + u.cacheWriteTokens} in ${u.outputTokens} out tokens`;
}

/** A model API request's usage, as the OCSF record's `unmapped.usage`. */
function usageOf(u: NonNullable<RequestEndedEvent['usage']>): Record<string, unknown> {
  return {
    api: u.api,
    model: u.model,
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    cache_read_tokens: u.cacheReadTokens,
    cache_write_tokens: u.cacheWriteTokens,
    cost_usd: u.costUsd,
    ...(u.incomplete ? { incomplete: u.incomplete } : {}),
  };
}
