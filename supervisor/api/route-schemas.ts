// The schema of every route's body and upgrade query, written once: the server validates
// requests against them and the Electron bridge validates the renderer's calls with them.

import { type TSchema, Type } from '@sinclair/typebox';
import { AddAgentRequestSchema } from './agent-types.ts';
import { AuditExportRequestSchema } from './audit-task-types.ts';
import { WardenError } from './errors.ts';
import { ReplayRequestSchema } from './replay-types.ts';
import {
  AddRuleRequestSchema,
  AnswerApprovalRequestSchema,
  ApplyPolicyRequestSchema,
  CreateListenerRequestSchema,
  CreateSandboxRequestSchema,
  ExecRequestSchema,
  PreviewApprovalRequestSchema,
  PutSecretRequestSchema,
  ValidatePolicyRequestSchema,
} from './requests.ts';
import type { ApiRoutes, RouteKey, UpgradeRouteKey, WebSocketRouteKey } from './routes.ts';
import { SyncEnrollRequestSchema } from './sync-types.ts';
import { TERMINAL_MAX_COLS, TERMINAL_MAX_ROWS } from './terminal.ts';

/** Routes that take a body; the compiler insists each has its schema here. */
type BodyRoute = { [K in RouteKey]: ApiRoutes[K]['body'] extends undefined ? never : K }[RouteKey];

const BODY_SCHEMA_MAP: Record<BodyRoute, TSchema> = {
  'POST /v1/sandboxes': CreateSandboxRequestSchema,
  'POST /v1/sandboxes/:sandboxId/rules': AddRuleRequestSchema,
  'POST /v1/listeners': CreateListenerRequestSchema,
  'POST /v1/listeners/:sandboxId/rules': AddRuleRequestSchema,
  'POST /v1/approvals/:id': AnswerApprovalRequestSchema,
  'POST /v1/approvals/:id/preview': PreviewApprovalRequestSchema,
  'POST /v1/policy/validate': ValidatePolicyRequestSchema,
  'PUT /v1/policy': ApplyPolicyRequestSchema,
  'POST /v1/policy/replay': ReplayRequestSchema,
  'POST /v1/audit/export': AuditExportRequestSchema,
  'PUT /v1/secrets/:name': PutSecretRequestSchema,
  'POST /v1/agents': AddAgentRequestSchema,
  'POST /v1/sync/enroll': SyncEnrollRequestSchema,
};

/** The body schema of a route, or undefined for routes without a body. */
export function bodySchema(route: RouteKey): TSchema | undefined {
  return (BODY_SCHEMA_MAP as Partial<Record<RouteKey, TSchema>>)[route];
}

export const UPGRADE_QUERY_SCHEMAS: Record<UpgradeRouteKey, TSchema> = {
  'POST /v1/sandboxes/:sandboxId/exec': ExecRequestSchema,
};

export const WEBSOCKET_QUERY_SCHEMAS: Record<WebSocketRouteKey, TSchema> = {
  'GET /v1/sandboxes/:sandboxId/terminal': Type.Object(
    {
      cols: Type.Integer({ minimum: 1, maximum: TERMINAL_MAX_COLS }),
      rows: Type.Integer({ minimum: 1, maximum: TERMINAL_MAX_ROWS }),
    },
    { additionalProperties: false },
  ),
};

/**
 * A query string as the object its schema describes: arrays repeat the key, records
 * repeat `key=NAME=VALUE`, booleans are true/false/1/0, integers are digits.
 */
export function queryToObject(query: URLSearchParams, schema: TSchema): Record<string, unknown> {
  const props = (schema.properties ?? {}) as Record<string, TSchema>;
  const out: Record<string, unknown> = {};
  for (const key of new Set(query.keys())) {
    const values = query.getAll(key);
    const type = props[key]?.type;
    if (type === 'array') out[key] = values;
    else if (type === 'object') {
      const record: Record<string, string> = {};
      for (const v of values) {
        const eq = v.indexOf('=');
        if (eq <= 0)
          throw new WardenError('BadRequest', `query ${key}: expected NAME=VALUE, got ${JSON.stringify(v)}`);
        record[v.slice(0, eq)] = v.slice(eq + 1);
      }
      out[key] = record;
    } else {
      const v = values[values.length - 1]!;
      if (type === 'boolean' && /^(true|1|false|0)$/.test(v)) out[key] = v === 'true' || v === '1';
      else if (type === 'integer' && /^-?\d{1,9}$/.test(v)) out[key] = Number(v);
      else out[key] = v;
    }
  }
  return out;
}
