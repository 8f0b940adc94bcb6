// The local API's sandbox routes, one resource of two kinds (a microVM, or a host process's
// governed proxy listener): create, list, inspect, remove, session rules, a VM's console
// logs, images, and exec/attach as an HTTP Upgrade. The deprecated `/v1/listeners` routes
// (listener-routes.ts) answer through the same code.

import type {
  CreateHostSandboxRequest,
  CreateSandboxRequest,
  CreateSandboxResponse,
  HostSandboxView,
  WardenEvent,
} from '../api/index.ts';
import { userActionEvent } from '../events/index.ts';
import type { Logger } from '../proxy/index.ts';
import type { Handlers, UpgradeHandlers } from '../server/server.ts';
import type { SandboxCatalog } from './catalog.ts';
import { bridgeExec } from './exec-bridge.ts';
import type { ImageStore } from './images.ts';
import { type HostCreated, type ListenerRouteDeps, listenerRoutes } from './listener-routes.ts';
import type { PolicyLayers } from './policy-layers.ts';
import type { Sandboxes } from './sandboxes.ts';
import type { VmSandboxes } from './vm-sandboxes.ts';

type SandboxRoutes =
  | 'POST /v1/sandboxes'
  | 'GET /v1/sandboxes'
  | 'GET /v1/sandboxes/:sandboxId'
  | 'DELETE /v1/sandboxes/:sandboxId'
  | 'POST /v1/sandboxes/:sandboxId/rules'
  | 'GET /v1/sandboxes/:sandboxId/logs'
  | 'GET /v1/images'
  | 'GET /v1/listeners'
  | 'POST /v1/listeners'
  | 'DELETE /v1/listeners/:sandboxId'
  | 'POST /v1/listeners/:sandboxId/rules';

export interface SandboxHandlerDeps {
  /** Every sandbox's identity and listener (both kinds). */
  sandboxes: Sandboxes;
  vms: VmSandboxes;
  images: ImageStore;
  layers: Pick<PolicyLayers, 'addSessionRule'>;
  emit: (event: WardenEvent) => void;
  /** Every sandbox as the API shows it, whatever its kind. */
  catalog: SandboxCatalog;
  /** Environment a host process exports to use its listener. */
  envFor: (view: HostSandboxView) => Record<string, string>;
}

export function sandboxHandlers(d: SandboxHandlerDeps): Pick<Handlers, SandboxRoutes> {
  const { catalog } = d;

  const createHost = async (body: CreateHostSandboxRequest, user: string): Promise<HostCreated> => {
    const { kind: _kind, ...req } = body;
    const sandbox = catalog.hostView(await d.sandboxes.create({ ...req, user: req.user ?? user }, 'host'));
    d.emit(userActionEvent(user, 'listener.create', sandbox.proxyUrl, sandbox.sandboxId));
    return { sandbox, env: d.envFor(sandbox) };
  };

  const create = async (body: CreateSandboxRequest, user: string): Promise<CreateSandboxResponse> => {
    if (body.kind === 'host') return createHost(body, user);
    const sandbox = await d.vms.create(body, user);
    d.emit(userActionEvent(user, 'sandbox.create', sandbox.image.id, sandbox.sandboxId));
    return { sandbox };
  };

  const remove: ListenerRouteDeps['remove'] = async ({ params, user }) => {
    await removeSandbox(d, catalog, user, params.sandboxId);
    return { removed: true as const };
  };

  const addRule: ListenerRouteDeps['addRule'] = ({ params, body, user }) => {
    const diff = d.layers.addSessionRule(params.sandboxId, { ...body.rule, action: body.action }, user);
    return { applied: true, diff };
  };

  return {
    'POST /v1/sandboxes': async ({ body, user, signal }) => {
      const created = await create(body, user);
      // The client went away while the sandbox was made (a killed `warden run` during the
      // boot): nobody will learn its id, so it would run unowned until someone stops it by hand.
      if (signal.aborted) await removeSandbox(d, catalog, user, created.sandbox.sandboxId);
      return created;
    },
    'GET /v1/sandboxes': () => catalog.list(),
    'GET /v1/sandboxes/:sandboxId': ({ params }) => catalog.view(params.sandboxId),
    'DELETE /v1/sandboxes/:sandboxId': remove,
    'POST /v1/sandboxes/:sandboxId/rules': addRule,
    'GET /v1/sandboxes/:sandboxId/logs': ({ params, query }) => {
      const lines = Math.min(10_000, Math.max(1, Number.parseInt(query.get('lines') ?? '200', 10) || 200));
      return { sandboxId: params.sandboxId, console: d.vms.consoleTail(params.sandboxId, lines) };
    },
    'GET /v1/images': () => d.images.list(),
    ...listenerRoutes({ catalog, createHost, remove, addRule }),
  };
}

/** Removes a sandbox of either kind for `user` and records that they did. */
async function removeSandbox(
  d: Pick<SandboxHandlerDeps, 'sandboxes' | 'vms' | 'emit'>,
  catalog: SandboxCatalog,
  user: string,
  sandboxId: string,
): Promise<void> {
  if (catalog.kindOf(sandboxId) === 'vm') return removeVm(d, user, sandboxId);
  await d.sandboxes.remove(sandboxId);
  d.emit(userActionEvent(user, 'listener.remove', sandboxId, sandboxId));
}

export function vmUpgrades(
  d: Pick<SandboxHandlerDeps, 'vms' | 'emit'> & { log: Pick<Logger, 'warn'> },
): UpgradeHandlers {
  return {
    'POST /v1/sandboxes/:sandboxId/exec': ({ params, query, user, accept }) => {
      const proc = d.vms.exec(params.sandboxId, query);
      const { socket, head } = accept();
      // With `remove`, the command owns the sandbox: it goes when the command ends.
      const onEnded = query.remove
        ? () =>
            void removeVm(d, user, params.sandboxId).catch((error: Error) =>
              d.log.warn('removing a sandbox after its command failed', {
                sandbox: params.sandboxId,
                error: error.message,
              }),
            )
        : undefined;
      bridgeExec(proc, socket, head, onEnded);
    },
  };
}

/** Removes a VM sandbox (its machine, listener and placeholders) for `user` and records that they did. */
async function removeVm(d: Pick<SandboxHandlerDeps, 'vms' | 'emit'>, user: string, sandboxId: string) {
  await d.vms.remove(sandboxId);
  d.emit(userActionEvent(user, 'sandbox.remove', sandboxId, sandboxId));
}
