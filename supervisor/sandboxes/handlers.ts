// The local API's VM sandbox routes: create, list, inspect, remove, console logs, images,
// and exec/attach as an HTTP Upgrade.

import type { WardenEvent } from '../api/index.ts';
import { userActionEvent } from '../events/index.ts';
import type { Logger } from '../proxy/index.ts';
import type { Handlers, UpgradeHandlers } from '../server/server.ts';
import { bridgeExec } from './exec-bridge.ts';
import type { ImageStore } from './images.ts';
import type { VmSandboxes } from './vm-sandboxes.ts';

type VmRoutes =
  | 'POST /v1/sandboxes'
  | 'GET /v1/sandboxes'
  | 'GET /v1/sandboxes/:sandboxId'
  | 'DELETE /v1/sandboxes/:sandboxId'
  | 'GET /v1/sandboxes/:sandboxId/logs'
  | 'GET /v1/images';

export interface VmHandlerDeps {
  vms: VmSandboxes;
  images: ImageStore;
  emit: (event: WardenEvent) => void;
}

export function vmHandlers(d: VmHandlerDeps): Pick<Handlers, VmRoutes> {
  return {
    'POST /v1/sandboxes': async ({ body, user, signal }) => {
      const sandbox = await d.vms.create(body, user);
      d.emit(userActionEvent(user, 'sandbox.create', sandbox.image.id, sandbox.sandboxId));
      // The client went away while the VM booted (a killed `warden run`): nobody will
      // learn this sandbox's id, so it would run unowned until someone stops it by hand.
      if (signal.aborted) await removeSandbox(d, user, sandbox.sandboxId);
      return { sandbox };
    },
    'GET /v1/sandboxes': () => d.vms.list(),
    'GET /v1/sandboxes/:sandboxId': ({ params }) => d.vms.view(params.sandboxId),
    'DELETE /v1/sandboxes/:sandboxId': async ({ params, user }) => {
      await removeSandbox(d, user, params.sandboxId);
      return { removed: true as const };
    },
    'GET /v1/sandboxes/:sandboxId/logs': ({ params, query }) => {
      const lines = Math.min(10_000, Math.max(1, Number.parseInt(query.get('lines') ?? '200', 10) || 200));
      return { sandboxId: params.sandboxId, console: d.vms.consoleTail(params.sandboxId, lines) };
    },
    'GET /v1/images': () => d.images.list(),
  };
}

/** Removes a sandbox for `user` and records that they did. */
async function removeSandbox(d: Pick<VmHandlerDeps, 'vms' | 'emit'>, user: string, sandboxId: string) {
  await d.vms.remove(sandboxId);
  d.emit(userActionEvent(user, 'sandbox.remove', sandboxId, sandboxId));
}

export function vmUpgrades(
  d: Pick<VmHandlerDeps, 'vms' | 'emit'> & { log: Pick<Logger, 'warn'> },
): UpgradeHandlers {
  return {
    'POST /v1/sandboxes/:sandboxId/exec': ({ params, query, user, accept }) => {
      const proc = d.vms.exec(params.sandboxId, query);
      const { socket, head } = accept();
      // With `remove`, the command owns the sandbox: it goes when the command ends.
      const onEnded = query.remove
        ? () =>
            void removeSandbox(d, user, params.sandboxId).catch((error: Error) =>
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
