// The workspace a sandbox shares from the host. 9p shares a whole folder, so files that
// look like secrets at its top (.env*, *.pem, id_*, an .npmrc holding an _authToken) cannot
// be hidden from the guest: a sandbox with such files is refused unless the user names
// each of them (--include FILE), deciding on purpose that the agent may read them. An
// .npmrc whose credentials are all `${VAR}` references holds none: npm reads them from the
// environment, where a sandbox has only the vault's placeholders.

import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { WardenError } from '../api/errors.ts';
import type { WorkspaceShare } from '../vm/index.ts';

/** npm's credential keys (`_authToken`, `_auth`, `_password`), scoped or not. */
const NPM_CREDENTIAL = /(?:^|[\s:;#])(_authToken|_auth|_password)\s*=(.*)$/;
/** A whole value that is one environment reference, as npm expands it: `${NPM_TOKEN}`. */
const ENV_REFERENCE = /^(["']?)\$\{[A-Za-z_][A-Za-z0-9_]*\}\1$/;

/** Does an .npmrc's TEXT hold a credential value (anything but a bare `${VAR}`)? */
export function npmrcHoldsCredential(text: string): boolean {
  for (const line of text.split(/\r?\n/)) {
    if (!line.includes('_auth') && !line.includes('_password')) continue;
    const m = NPM_CREDENTIAL.exec(line);
    // A mention that is not a key = value line still looks like one: kept out to be safe.
    if (!m) return true;
    if (!ENV_REFERENCE.test((m[2] ?? '').trim())) return true;
  }
  return false;
}

/** Why a top-level entry looks like a secret, or undefined. */
export function secretLooking(dir: string, entry: Dirent): string | undefined {
  const name = entry.name;
  if (/^\.env/.test(name)) return 'environment file (.env*)';
  if (/\.pem$/i.test(name)) return 'PEM key or certificate (*.pem)';
  if (/^id_/.test(name)) return 'SSH key (id_*)';
  if (name === '.npmrc') {
    try {
      const text = readFileSync(path.join(dir, name), 'utf8');
      if (npmrcHoldsCredential(text)) return 'npm credentials (.npmrc with _authToken)';
    } catch {}
  }
  return undefined;
}

/** The secret-looking files at the top of `dir`, with why each one matched. */
export function secretLookingFiles(dir: string): Array<{ name: string; why: string }> {
  const out: Array<{ name: string; why: string }> = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const why = secretLooking(dir, entry);
    if (why) out.push({ name: entry.name, why });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Validates a workspace request; throws WardenError naming the problem and what to do. */
export function checkWorkspace(ws: { path: string; readOnly?: boolean; include?: string[] }): WorkspaceShare {
  const hostPath = path.resolve(ws.path);
  let isDir = false;
  try {
    isDir = statSync(hostPath).isDirectory();
  } catch {}
  if (!isDir) {
    throw new WardenError(
      'WorkspaceNotFound',
      `the workspace ${hostPath} is not a folder`,
      'give --workspace an existing folder',
    );
  }
  if (/[,\n\0]/.test(hostPath)) {
    throw new WardenError(
      'WorkspaceInvalid',
      `the workspace path ${JSON.stringify(hostPath)} contains a comma or newline, which QEMU cannot take`,
      'rename the folder or share a parent without one',
    );
  }
  const include = new Set(ws.include ?? []);
  const found = secretLookingFiles(hostPath);
  for (const name of include) {
    if (!found.some((f) => f.name === name)) {
      throw new WardenError(
        'WorkspaceIncludeUnknown',
        `--include ${name}: no secret-looking file of that name at the top of ${hostPath}`,
        'name files exactly as they appear in the folder (e.g. --include .env)',
      );
    }
  }
  const exposed = found.filter((f) => !include.has(f.name));
  if (exposed.length > 0) {
    throw new WardenError(
      'WorkspaceHasSecrets',
      `the workspace ${hostPath} holds files that look like secrets, and a shared folder cannot hide them from the sandbox:\n` +
        exposed.map((f) => `    ${f.name}  (${f.why})`).join('\n'),
      `move them out of the folder, or share them on purpose with ${exposed.map((f) => `--include ${f.name}`).join(' ')}`,
    );
  }
  return { hostPath, readOnly: ws.readOnly ?? false };
}
