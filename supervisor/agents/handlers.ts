// The agents' routes: list, install (in a sandbox, through the proxy), remove.

import type { WardenEvent } from '../api/index.ts';
import { userActionEvent } from '../events/index.ts';
import type { Handlers } from '../server/server.ts';
import type { AgentInstaller } from './installer.ts';
import type { AgentStore } from './store.ts';

type AgentRoutes = 'GET /v1/agents' | 'POST /v1/agents' | 'DELETE /v1/agents/:name';

export function agentHandlers(d: {
  store: AgentStore;
  installer: AgentInstaller;
  emit: (event: WardenEvent) => void;
}): Pick<Handlers, AgentRoutes> {
  return {
    'GET /v1/agents': () => d.store.list(),
    'POST /v1/agents': async ({ body, user }) => {
      const out = await d.installer.add(body, user);
      if (!out.reused) {
        const a = out.agent;
        d.emit(
          userActionEvent(user, 'agent.add', `${a.package}@${a.version} ${a.integrity}`, a.installSandboxId),
        );
      }
      return out;
    },
    'DELETE /v1/agents/:name': ({ params, user }) => {
      const removed = d.store.remove(params.name);
      d.emit(
        userActionEvent(user, 'agent.remove', removed.map((p) => `${p.package}@${p.version}`).join(' ')),
      );
      return { removed };
    },
  };
}
