// Which agents Warden knows by name, and how any other npm package is named as an agent.
// A name picks the npm package and the policy preset its install runs under (the preset's
// registry rules); any other package installs under the `node` preset's.

export interface KnownAgent {
  name: string;
  package: string;
  /** The policy preset of its install sandbox (and of `warden run --preset NAME`). */
  preset: string;
}

export const KNOWN_AGENTS: readonly KnownAgent[] = [
  { name: 'claude-code', package: '@anthropic-ai/claude-code', preset: 'claude-code' },
  { name: 'codex', package: '@openai/codex', preset: 'codex' },
];

export interface AgentSpec {
  name: string;
  package: string;
  /** An exact version or a tag/range npm resolves (default `latest`). */
  version?: string;
  preset: string;
}

const PACKAGE = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const VERSION = /^[A-Za-z0-9._+-]{1,64}$/;

/** `claude-code`, `codex@0.171.0`, `@scope/pkg@1.2.3`, `pkg` → what to install; undefined when malformed. */
export function parseAgentSpec(spec: string): AgentSpec | undefined {
  const at = spec.lastIndexOf('@');
  const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
  if (!PACKAGE.test(name) || name.length > 214) return undefined;
  if (version !== undefined && !VERSION.test(version)) return undefined;
  const known = KNOWN_AGENTS.find((a) => a.name === name || a.package === name);
  const base = known
    ? { name: known.name, package: known.package, preset: known.preset }
    : { name, package: name, preset: 'node' };
  return version ? { ...base, version } : base;
}

/** An exact semver version (what a lock file must say before it names a folder). */
export function isExactVersion(v: string): boolean {
  return /^\d{1,9}\.\d{1,9}\.\d{1,9}(?:-[0-9A-Za-z.-]{1,64})?(?:\+[0-9A-Za-z.-]{1,64})?$/.test(v);
}

/** The folder name of an agent: its name with a scope's `@` dropped and `/` as `+` (one path segment). */
export function agentDirName(name: string): string {
  return name.replace(/^@/, '').replace('/', '+');
}

/** The install task's title (the CLI finds its install's task by it). */
export function installTitle(spec: AgentSpec): string {
  return `Installing ${spec.name}${spec.version ? `@${spec.version}` : ''}`;
}
