// The per-project agent home (`--agent-home`): $WARDEN_HOME/homes/<hash of the workspace
// path>/, shared read-write into the guest and linked as ~/.claude and ~/.codex, so an
// agent's settings and history outlive its sandbox. It must never hold a secret value
// (the vault injects those at the network layer; the guest sees placeholders): a home
// holding one is refused at start, and files holding one are removed when the sandbox goes.

import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { WardenError } from '../api/errors.ts';
import type { WardenEvent } from '../api/index.ts';
import { userActionEvent } from '../events/index.ts';
import type { Logger } from '../proxy/index.ts';
import type { WorkspaceShare } from '../vm/index.ts';

const MAX_FILE_BYTES = 64 << 20;
const MAX_ENTRIES = 100_000;

/** The home folder of a workspace: one per absolute workspace path. */
export function agentHomeDir(homesDir: string, workspacePath: string): string {
  const key = createHash('sha256').update(path.resolve(workspacePath)).digest('hex').slice(0, 24);
  return path.join(homesDir, key);
}

/** Creates the folder (owner-only) if needed; its path. */
export function ensureAgentHome(homesDir: string, workspacePath: string): string {
  const dir = agentHomeDir(homesDir, workspacePath);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Files under DIR (links never followed) holding a secret value, with the secrets' names.
 * Larger files than 64 MiB, and anything past 100,000 entries, count as holding one:
 * what cannot be checked is not trusted.
 */
export function filesHoldingSecrets(
  dir: string,
  secretsIn: (data: Buffer) => string[],
): Array<{ file: string; secrets: string[] }> {
  const out: Array<{ file: string; secrets: string[] }> = [];
  let budget = MAX_ENTRIES;
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (--budget < 0) {
        out.push({ file: r, secrets: ['(too many files to check)'] });
        return;
      }
      const st = lstatSync(path.join(dir, r));
      if (st.isDirectory()) walk(r);
      else if (st.isFile()) {
        if (st.size > MAX_FILE_BYTES) out.push({ file: r, secrets: ['(too large to check)'] });
        else {
          const found = secretsIn(readFileSync(path.join(dir, r)));
          if (found.length > 0) out.push({ file: r, secrets: found });
        }
      }
    }
  };
  walk('');
  return out;
}

/** Refuses a home that holds a secret value, naming the files and what to do. */
export function checkAgentHome(dir: string, secretsIn: (data: Buffer) => string[]): void {
  const bad = filesHoldingSecrets(dir, secretsIn);
  if (bad.length === 0) return;
  throw new WardenError(
    'AgentHomeHasSecrets',
    `the agent home ${dir} holds secret values (${bad.map((b) => `${b.file}: ${b.secrets.join(', ')}`).join('; ')})`,
    'an agent home must never hold a secret: remove those files (the vault injects the secret at the network layer)',
  );
}

/** Removes the files holding a secret value; their paths (relative to DIR). */
export function scrubAgentHome(dir: string, secretsIn: (data: Buffer) => string[]): string[] {
  const bad = filesHoldingSecrets(dir, secretsIn);
  for (const b of bad) rmSync(path.join(dir, b.file), { force: true, recursive: true });
  return bad.map((b) => b.file);
}

/** The workspace's agent home for a new sandbox: created if new, refused if it holds a secret value. */
export function openAgentHome(
  homes: { dir: string; secretsIn: (data: Buffer) => string[] } | undefined,
  workspace: WorkspaceShare | undefined,
): string {
  if (!workspace)
    throw new WardenError(
      'BadRequest',
      'an agent home is kept per project: it needs a workspace',
      'give --workspace DIR with --agent-home',
    );
  if (!homes) throw new WardenError('BadRequest', 'this daemon keeps no agent homes');
  const dir = ensureAgentHome(homes.dir, workspace.hostPath);
  checkAgentHome(dir, homes.secretsIn);
  return dir;
}

/** After the VM is gone: files of its agent home holding a secret value are removed, and said so. */
export function scrubAfterRemoval(
  dir: string,
  who: { user: string; sandboxId: string },
  secretsIn: (data: Buffer) => string[],
  d: { log: Logger; emit: (event: WardenEvent) => void },
): void {
  try {
    const removed = scrubAgentHome(dir, secretsIn);
    if (removed.length === 0) return;
    d.log.warn('agent home held secret values: files removed', { files: removed.join(' ') });
    d.emit(userActionEvent(who.user, 'agent-home.scrub', removed.join(' '), who.sandboxId));
  } catch (error) {
    d.log.warn('agent home check failed', { error: (error as Error).message });
  }
}
