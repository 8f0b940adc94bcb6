// The local API's handlers: thin translations from routes to the daemon's parts.

import { rename, writeFile } from 'node:fs/promises';
import type { ListenerView, PolicyDiff, PolicyLayerText, VmStatusView, WardenEvent } from '../api/index.ts';
import { ApiError, type Handlers } from '../api/server.ts';
import { ApprovalNotFoundError, type ApprovalQueue } from '../approvals/index.ts';
import { VERSION } from '../cli/version.ts';
import { userActionEvent } from '../events/index.ts';
import { diffPolicies, Policy, type PolicyLayer, parsePolicy, stringifyPolicy } from '../policy/index.ts';
import type { Sandboxes } from './sandboxes.ts';
import type { SecretsSeam } from './secrets-seam.ts';

export interface HandlerDeps {
  home: string;
  pid: number;
  startedAt: string;
  user: string;
  listenHost: string;
  basePolicyPath: string;
  caCertPath: string;
  caFingerprint: string;
  httpUrl: () => string | undefined;
  sandboxes: Sandboxes;
  approvals: ApprovalQueue;
  secrets: SecretsSeam;
  emit: (event: WardenEvent) => void;
  base: () => PolicyLayer | undefined;
  setBase: (layer: PolicyLayer) => void;
  /** Environment a process should export to use a listener. */
  envFor: (view: ListenerView) => Record<string, string>;
  /** Start the loopback HTTP listener (browser mode) if it is not running; its origin. */
  startUi: () => Promise<string>;
  /** A one-time code for the URL `POST /v1/ui` answers (never the token: that URL goes into argv). */
  uiCode: () => { code: string; ttlMs: number };
  /** VM sandboxes' accelerator, pool and images, for the status. */
  vmStatus?: () => VmStatusView;
}

/** Routes other files answer (audit-handlers.ts, vm-handlers.ts). */
type ElsewhereRoutes =
  | 'GET /v1/audit'
  | 'GET /v1/audit/chain'
  | 'POST /v1/sandboxes'
  | 'GET /v1/sandboxes'
  | 'GET /v1/sandboxes/:sandboxId'
  | 'DELETE /v1/sandboxes/:sandboxId'
  | 'GET /v1/sandboxes/:sandboxId/logs'
  | 'GET /v1/images';

function layerText(l: PolicyLayer): PolicyLayerText {
  return { layer: l.layer, source: l.source, yaml: stringifyPolicy(l.document) };
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

export function createHandlers(d: HandlerDeps): Omit<Handlers, ElsewhereRoutes> {
  const now = () => new Date().toISOString();
  const userAction = (user: string, action: string, target: string, sandboxId?: string) =>
    d.emit(userActionEvent(user, action, target, sandboxId));

  const resolvedFor = (sandboxId: string | undefined): Policy => {
    if (sandboxId) return d.sandboxes.get(sandboxId).policy();
    const base = d.base();
    return Policy.resolve(base ? [base] : []);
  };

  return {
    'GET /v1/status': () => ({
      version: VERSION,
      pid: d.pid,
      startedAt: d.startedAt,
      home: d.home,
      user: d.user,
      listeners: d.sandboxes.list().map((s) => s.view(d.listenHost)),
      pendingApprovals: d.approvals.size,
      secrets: d.secrets.count(),
      ca: { certPath: d.caCertPath, fingerprint256: d.caFingerprint },
      vault: d.secrets.backend,
      ...(d.httpUrl() ? { httpUrl: d.httpUrl() } : {}),
      ...(d.vmStatus ? { vm: d.vmStatus() } : {}),
    }),

    'GET /v1/listeners': () => d.sandboxes.list().map((s) => s.view(d.listenHost)),

    'POST /v1/listeners': async ({ body, user }) => {
      const sandbox = await d.sandboxes.create({ ...body, user: body.user ?? user });
      const listener = sandbox.view(d.listenHost);
      userAction(user, 'listener.create', listener.proxyUrl, listener.sandboxId);
      return { listener, env: d.envFor(listener) };
    },

    'DELETE /v1/listeners/:sandboxId': async ({ params, user }) => {
      await d.sandboxes.remove(params.sandboxId);
      userAction(user, 'listener.remove', params.sandboxId, params.sandboxId);
      return { removed: true as const };
    },

    'POST /v1/listeners/:sandboxId/rules': ({ params, body, user }) => {
      const diff = d.sandboxes.addSessionRule(params.sandboxId, { ...body.rule, action: body.action });
      d.emit({
        type: 'policy.changed',
        time: now(),
        sandboxId: params.sandboxId,
        user,
        layer: 'session',
        source: 'session',
        diff,
      });
      return { applied: true, diff };
    },

    'GET /v1/approvals': () => d.approvals.list(),

    'POST /v1/approvals/:id': ({ params, body, user }) => {
      try {
        return d.approvals.answer(params.id, body, user);
      } catch (error) {
        if (error instanceof ApprovalNotFoundError) {
          throw new ApiError(404, error.name, error.message, 'list what is waiting with: warden approvals');
        }
        throw error;
      }
    },

    'POST /v1/approvals/:id/preview': ({ params, body }) => {
      try {
        return d.approvals.preview(params.id, body);
      } catch (error) {
        if (error instanceof ApprovalNotFoundError) {
          throw new ApiError(404, error.name, error.message, 'list what is waiting with: warden approvals');
        }
        throw error;
      }
    },

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
      const base = d.base();
      return { layers: base ? [layerText(base)] : [], resolved: resolvedFor(undefined).view() };
    },

    'POST /v1/policy/validate': ({ body }) => {
      const parsed = parsePolicy(body.yaml, body.source ?? '<api>');
      return parsed.ok ? { valid: true, errors: [] } : { valid: false, errors: parsed.errors };
    },

    'PUT /v1/policy': async ({ body, user }) => {
      const source = body.source ?? (body.layer === 'base' ? d.basePolicyPath : '<api>');
      const parsed = parsePolicy(body.yaml, source);
      if (!parsed.ok) {
        throw new ApiError(400, 'PolicyInvalid', `the policy is not valid; nothing was changed`, undefined, {
          errors: parsed.errors,
        });
      }
      const layer: PolicyLayer = {
        layer: body.layer,
        source,
        document: parsed.document,
        lines: parsed.lines,
      };
      if (body.layer === 'base') {
        const before = resolvedFor(undefined);
        const base = { ...layer, source: d.basePolicyPath };
        const diff = diffPolicies(before, Policy.resolve([base]));
        if (body.dryRun) return { applied: false, diff };
        await writeAtomic(d.basePolicyPath, body.yaml);
        d.setBase(base);
        d.sandboxes.refreshAll();
        d.emit({ type: 'policy.changed', time: now(), user, layer: 'base', source: d.basePolicyPath, diff });
        return { applied: true, diff };
      }
      if (!body.sandboxId) throw new ApiError(400, 'BadRequest', 'the project layer needs a sandboxId');
      const sandbox = d.sandboxes.get(body.sandboxId);
      const projectSource = body.source ?? sandbox.project?.source ?? '<api>';
      const project = { ...layer, source: projectSource };
      const base = d.base();
      const session = sandbox.layers().find((l) => l.layer === 'session')!;
      const after = Policy.resolve([...(base ? [base] : []), project, session]);
      const diff: PolicyDiff = diffPolicies(sandbox.policy(), after);
      if (body.dryRun) return { applied: false, diff };
      sandbox.setProject(project);
      d.emit({
        type: 'policy.changed',
        time: now(),
        sandboxId: body.sandboxId,
        user,
        layer: 'project',
        source: projectSource,
        diff,
      });
      return { applied: true, diff };
    },

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
