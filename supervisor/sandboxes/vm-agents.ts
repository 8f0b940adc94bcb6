// A VM sandbox's managed agents: the store that resolves their names (supervisor/agents,
// injected by the daemon) and the guest environment that puts them first on PATH.

import { WardenError } from '../api/errors.ts';
import type { AgentPin } from '../api/index.ts';
import { GUEST_SYSTEM_PATH } from '../vm/index.ts';

/** The installed agents (supervisor/agents' store, injected by the daemon). */
export interface AgentResolver {
  dir: string;
  /** NAME or NAME@VERSION → the pin and the guest folder of its commands; throws AgentNotFound. */
  resolve(specs: string[]): Array<{ pin: AgentPin; guestBin: string }>;
}

/** The guest environment that puts a sandbox's agents first on PATH (the profile keeps it for shells). */
export function agentEnv(agents: Array<{ guestBin: string }>): Record<string, string> {
  if (agents.length === 0) return {};
  const dirs = agents.map((a) => a.guestBin).join(':');
  return { WARDEN_AGENT_PATH: dirs, PATH: `${dirs}:${GUEST_SYSTEM_PATH}` };
}

/**
 * With the per-project agent home (--agent-home): the agents keep all their state in the
 * folders it mounts. Claude Code otherwise writes ~/.claude.json beside ~/.claude (by
 * renaming a new file over it, so no link can keep it); CLAUDE_CONFIG_DIR moves it inside.
 * Codex's home is ~/.codex already; CODEX_HOME says so for builds that look elsewhere.
 */
export function agentHomeEnv(on: boolean): Record<string, string> {
  return on ? { CLAUDE_CONFIG_DIR: '/root/.claude', CODEX_HOME: '/root/.codex' } : {};
}

/** The agents a sandbox asks for, pinned; none without a store is an error naming the fix. */
export function resolveAgents(
  store: AgentResolver | undefined,
  specs: string[],
): Array<{ pin: AgentPin; guestBin: string }> {
  if (specs.length === 0) return [];
  if (!store)
    throw new WardenError('AgentNotFound', 'this daemon has no managed agents', 'use warden agent add NAME');
  return store.resolve(specs);
}
