// OCSF mapping of a governed MCP call (`mcp.call`): API Activity (6003), the MCP server as
// the API's service, the tool, prompt or resource as the resource, and the spec.mcp rule
// that decided in `unmapped`. Arguments appear only when the policy asked for them.

import type { McpCallEvent } from '../api/events.ts';
import { base, type MappedEvent, type OcsfContext, shape } from './ocsf-shared.ts';

const RESOURCE_TYPE: Record<McpCallEvent['method'], string> = {
  'tools/call': 'MCP Tool',
  'resources/read': 'MCP Resource',
  'prompts/get': 'MCP Prompt',
};

export function mapMcpCall(e: McpCallEvent, time: number, ctx: OcsfContext): MappedEvent {
  const allowed = e.outcome === 'allowed';
  // API Activity's activities: 2 Read for resources and prompts; a tool call is 99 Other ("Call").
  const read = e.method !== 'tools/call';
  const s = shape(6003, 'API Activity', 6, {
    activityId: read ? 2 : 99,
    activityName: read ? 'Read' : 'Call',
    severityId: allowed ? 1 : 2,
    statusId: allowed ? 1 : 2,
    message: `MCP ${e.method} "${e.name}" on ${e.server} ${e.outcome.replace('_', ' ')}: ${e.reason}`,
  });
  return {
    kind: e.type,
    time,
    sandboxId: e.sandboxId,
    user: e.user,
    host: e.host,
    outcome: e.outcome,
    ocsf: {
      ...base(s, time, e.user, e.sandboxId, ctx, { verdict: allowed ? 'allowed' : 'denied' }),
      api: {
        operation: e.method,
        request: { uid: e.callId },
        service: { name: e.server },
      },
      resources: [{ name: e.name, type: RESOURCE_TYPE[e.method] }],
      dst_endpoint: { hostname: e.host, port: e.port },
      http_request: {
        http_method: 'POST',
        uid: e.requestId,
        url: { hostname: e.host, path: e.path, port: e.port },
      },
      status_detail: e.reason,
      unmapped: {
        warden_kind: e.type,
        sandbox_id: e.sandboxId,
        request_id: e.requestId,
        session_id: e.sessionId,
        outcome: e.outcome,
        decided_by: e.decidedBy,
        approval_id: e.approvalId,
        rule: e.rule,
        argument_bytes: e.argumentBytes,
        arguments: e.arguments,
      },
    },
  };
}
