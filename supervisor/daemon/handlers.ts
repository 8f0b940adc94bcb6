// The local API's handlers: thin translations from routes to the daemon's parts.

import { APPROVAL_STATE_FILTERS, type ApprovalStateFilter } from '../api/approval-types.ts';
import { WardenError } from '../api/errors.ts';
import type {
  OrganisationStatus,
  PolicyLayerText,
  SyncStatus,
  TrustStoreView,
  VmStatusView,
  WardenEvent,
} from '../api/index.ts';
import { VERSION } from '../api/version.ts';
import type { ApprovalQueue } from '../approvals/index.ts';
import { userActionEvent } from '../events/index.ts';
import { type PolicyLayer, parsePolicy, stringifyPolicy } from '../policy/index.ts';
import type { SandboxCatalog } from '../sandboxes/index.ts';
import type { PolicyLayers } from '../sandboxes/policy-layers.ts';
import type { Sandboxes } from '../sandboxes/sandboxes.ts';
import type { Handlers } from '../server/server.ts';
import type { SecretsSeam } from './secrets-seam.ts';

export interface HandlerDeps {
  home: string;
  pid: number;
  startedAt: string;
  user: string;
  caCertPath: string;
  caFingerprint: string;
  httpUrl: () => string | undefined;
  sandboxes: Sandboxes;
  /** Every sandbox of both kinds, for the status. */
  catalog: SandboxCatalog;
  approvals: ApprovalQueue;
  secrets: SecretsSeam;
  emit: (event: WardenEvent) => void;
  layers: PolicyLayers;
  /** Start the loopback HTTP listener (browser mode) if it is not running; its origin. */
  startUi: () => Promise<string>;
  /** A one-time code for the URL `POST /v1/ui` answers (never the token: that URL goes into argv). */
  uiCode: () => { code: string; ttlMs: number };
  /** VM sandboxes' accelerator, pool and images, for the status. */
  vmStatus?: () => VmStatusView;
  /** Where upstream TLS trust comes from. */
  upstreamTrust?: TrustStoreView[];
  /** The team hub's sync link, for the status. */
  syncStatus?: () => SyncStatus;
  /** The organisation policy enforced and any ignored, for the status. */
  organisationStatus?: () => OrganisationStatus;
}

/** Routes other files answer (audit-handlers.ts, audit-tasks.ts, sync-handlers.ts, replay-handlers.ts, sandboxes/handlers.ts). */
type ElsewhereRoutes =
  | 'GET /v1/audit'
  | 'GET /v1/audit/chain'
  | 'GET /v1/audit/histogram'
  | 'POST /v1/audit/verify'
  | 'GET /v1/audit/verify/:taskId'
  | 'POST /v1/audit/export'
  | 'GET /v1/audit/export/:taskId'
  | 'GET /v1/presets'
  | 'GET /v1/metrics/sandboxes'
  | 'GET /v1/sync/status'
  | 'GET /v1/export/status'
  | 'POST /v1/sync/enroll'
  | 'POST /v1/sandboxes'
  | 'GET /v1/sandboxes'
  | 'GET /v1/sandboxes/:sandboxId'
  | 'DELETE /v1/sandboxes/:sandboxId'
  | 'POST /v1/sandboxes/:sandboxId/rules'
  | 'GET /v1/sandboxes/:sandboxId/logs'
  | 'GET /v1/images'
  | 'GET /v1/agents'
  | 'POST /v1/agents'
  | 'DELETE /v1/agents/:name'
  | 'GET /v1/listeners'
  | 'POST /v1/listeners'
  | 'DELETE /v1/listeners/:sandboxId'
  | 'POST /v1/listeners/:sandboxId/rules'
  | 'GET /v1/tasks'
  | 'GET /v1/spend'
  | 'POST /v1/tasks/:taskId/cancel'
  | 'POST /v1/policy/replay'
  | 'GET /v1/policy/replay/:taskId';

function stateFilter(raw: string | null): ApprovalStateFilter {
  if (raw === null) return 'pending';
  if ((APPROVAL_STATE_FILTERS as readonly string[]).includes(raw)) return raw as ApprovalStateFilter;
  throw new WardenError(
    'BadRequest',
    `unknown approval state ${JSON.stringify(raw.slice(0, 40))}`,
    `use one of ${APPROVAL_STATE_FILTERS.join(', ')}`,
  );
}

function layerText(l: PolicyLayer): PolicyLayerText {
  return { layer: l.layer, source: l.source, yaml: stringifyPolicy(l.document) };
}

export function createHandlers(d: HandlerDeps): Omit<Handlers, ElsewhereRoutes> {
  const userAction = (user: string, action: string, target: string, sandboxId?: string) =>
    d.emit(userActionEvent(user, action, target, sandboxId));

  return {
    'GET /v1/status': () => ({
      version: VERSION,
      pid: d.pid,
      startedAt: d.startedAt,
      home: d.home,
      user: d.user,
      sandboxes: d.catalog.list(),
      listeners: d.catalog.listeners(),
      pendingApprovals: d.approvals.size,
      secrets: d.secrets.count(),
      ca: { certPath: d.caCertPath, fingerprint256: d.caFingerprint },
      vault: d.secrets.backend,
      ...(d.httpUrl() ? { httpUrl: d.httpUrl() } : {}),
      ...(d.vmStatus ? { vm: d.vmStatus() } : {}),
      ...(d.upstreamTrust ? { upstreamTrust: d.upstreamTrust } : {}),
      ...(d.syncStatus ? { sync: d.syncStatus() } : {}),
      ...(d.organisationStatus ? { organisation: d.organisationStatus() } : {}),
    }),

    'GET /v1/approvals': ({ query }) => d.approvals.list(stateFilter(query.get('state'))),

    'POST /v1/approvals/:id': ({ params, body, user, client }) =>
      d.approvals.answer(params.id, body, { by: user, client }),

    'POST /v1/approvals/:id/revoke': ({ params, user, client }) =>
      d.approvals.revoke(params.id, user, client),

    'POST /v1/approvals/:id/preview': ({ params, body }) => d.approvals.preview(params.id, body),

    'POST /v1/ui': async () => {
      const url = await d.startUi();
      const { code, ttlMs } = d.uiCode();
      return { url, openUrl: `${url}/#code=${code}`, codeTtlSeconds: Math.round(ttlMs / 1000) };
    },

    'GET /v1/policy': ({ query }) => {
      const sandboxId = query.get('sandbox') ?? undefined;
      if (sandboxId) {
        const sandbox = d.sandboxes.get(sandboxId);
        return { sandboxId, layers: sandbox.layers().map(layerText), resolved: sandbox.policy().view() };
      }
      const upper = [d.layers.organisation(), d.layers.base()].filter((l): l is PolicyLayer => !!l);
      return { layers: upper.map(layerText), resolved: d.layers.resolved().view() };
    },

    'POST /v1/policy/validate': ({ body }) => {
      const parsed = parsePolicy(body.yaml, body.source ?? '<api>');
      return parsed.ok ? { valid: true, errors: [] } : { valid: false, errors: parsed.errors };
    },

    'PUT /v1/policy': ({ body, user }) => d.layers.apply(body, user),

    'GET /v1/secrets': () => d.secrets.list(),

    'PUT /v1/secrets/:name': async ({ params, body, user }) => {
      const view = await d.secrets.set(params.name, body.value, { hosts: body.hosts, inject: body.inject });
      userAction(user, 'secret.set', params.name);
      return view;
    },

    'DELETE /v1/secrets/:name': async ({ params, user }) => {
      await d.secrets.remove(params.name);
      userAction(user, 'secret.remove', params.name);
      return { removed: true as const };
    },
  };
}
