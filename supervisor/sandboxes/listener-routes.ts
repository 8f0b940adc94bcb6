// The `/v1/listeners` routes of the previous release, kept answering for one more so its
// clients keep working against this daemon: deprecated, and answered by the sandbox
// routes' own code (handlers.ts) in the old shapes. Remove them in the next release.

import type {
  AddRuleRequest,
  ApplyPolicyResponse,
  CreateHostSandboxRequest,
  HostSandboxView,
} from '../api/index.ts';
import type { Handlers } from '../server/server.ts';
import type { SandboxCatalog } from './catalog.ts';

type ListenerRoutes =
  | 'GET /v1/listeners'
  | 'POST /v1/listeners'
  | 'DELETE /v1/listeners/:sandboxId'
  | 'POST /v1/listeners/:sandboxId/rules';

/** A host sandbox just made, and the environment its process exports. */
export interface HostCreated {
  sandbox: HostSandboxView;
  env: Record<string, string>;
}

export interface ListenerRouteDeps {
  catalog: SandboxCatalog;
  /** `POST /v1/sandboxes` with `kind: 'host'`. */
  createHost: (body: CreateHostSandboxRequest, user: string) => Promise<HostCreated>;
  /** `DELETE /v1/sandboxes/:sandboxId`. */
  remove: (input: { params: { sandboxId: string }; user: string }) => Promise<{ removed: true }>;
  /** `POST /v1/sandboxes/:sandboxId/rules`. */
  addRule: (input: {
    params: { sandboxId: string };
    body: AddRuleRequest;
    user: string;
  }) => ApplyPolicyResponse;
}

/** @deprecated The `/v1/listeners` routes: use `/v1/sandboxes` (host listeners have `kind: 'host'`). */
export function listenerRoutes(d: ListenerRouteDeps): Pick<Handlers, ListenerRoutes> {
  return {
    'GET /v1/listeners': () => d.catalog.listeners(),
    'POST /v1/listeners': async ({ body, user }) => {
      const { sandbox, env } = await d.createHost({ kind: 'host', ...body }, user);
      return { listener: sandbox, env };
    },
    'DELETE /v1/listeners/:sandboxId': d.remove,
    'POST /v1/listeners/:sandboxId/rules': d.addRule,
  };
}
