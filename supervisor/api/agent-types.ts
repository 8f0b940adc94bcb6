// Managed agents as the local API shows them: npm packages (Claude Code, Codex, or any
// other) installed once per version into $WARDEN_HOME/agents/<name>/<version>/ from inside
// a sandbox, through the governed proxy, then shared read-only into every VM at
// /opt/agents and put on PATH of the sandboxes that ask for them.

import { type Static, Type } from '@sinclair/typebox';

/** What a sandbox's audit records and view say it ran: the exact package that was installed. */
export interface AgentPin {
  /** The agent's name: `claude-code`, `codex`, or the npm package's name. */
  name: string;
  /** The npm package (e.g. `@anthropic-ai/claude-code`). */
  package: string;
  version: string;
  /** The registry's integrity of the package's tarball (`sha512-…`, from npm's lock file). */
  integrity: string;
}

export interface AgentView extends AgentPin {
  installedAt: string;
  /** How long the install took (the sandbox's boot included). */
  installMs: number;
  /** Bytes on disk of this version's folder (its node_modules). */
  sizeBytes: number;
  /** Commands it puts on PATH (its package's `bin`). */
  bins: string[];
  /** The sandbox the install ran in (its requests are in the audit trail under that id). */
  installSandboxId: string;
}

/** The name (`claude-code`, `codex`) or npm spec (`PACKAGE[@VERSION]`) of an agent. */
const AGENT_SPEC = '^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*(?:@[A-Za-z0-9._+-]{1,64})?$';

export const AddAgentRequestSchema = Type.Object(
  {
    spec: Type.String({ minLength: 1, maxLength: 214, pattern: AGENT_SPEC }),
    /** Install the newest version even when one is installed (`warden agent update`). */
    update: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AddAgentRequest = Static<typeof AddAgentRequestSchema>;

export interface AddAgentResponse {
  agent: AgentView;
  /** True when this version was already installed (nothing was downloaded). */
  reused: boolean;
}

export interface RemoveAgentResponse {
  removed: AgentPin[];
}
