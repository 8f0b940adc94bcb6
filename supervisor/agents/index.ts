// Managed agents: npm packages installed once per version through the governed proxy,
// shared read-only into the sandboxes that name them.

export { installTitle, KNOWN_AGENTS, parseAgentSpec } from './catalog.ts';
export { agentHandlers } from './handlers.ts';
export { AgentInstaller, type AgentInstallerDeps } from './installer.ts';
export { AgentStore } from './store.ts';
