// The organisation policy an MDM drops on the machine: `managed.yaml` in a system folder
// (/etc/warden on Linux, /Library/Application Support/Warden on macOS, %ProgramData%\Warden
// on Windows). It is enforced only when a non-admin user cannot have written it: on POSIX the
// file and every folder above it must be owned by root and not group- or world-writable (a
// root-owned sticky folder such as /tmp is accepted: others cannot replace what is in it).
// Anything else is ignored with a warning that says why.

import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { OrganisationOrigin } from '../api/policy-types.ts';
import { formatPolicyError, parsePolicy } from './parse.ts';
import type { PolicyLayer } from './policy.ts';

export const MANAGED_FILE_NAME = 'managed.yaml';
/** A policy larger than this is refused unread (a policy is a few kilobytes). */
export const MAX_ORGANISATION_POLICY_BYTES = 1024 * 1024;

export interface ManagedPolicy {
  /** The organisation layer, when the file exists and is trustworthy and valid. */
  layer?: PolicyLayer;
  /** Why a file that exists is not enforced. */
  warning?: string;
}

/** The folder the managed file is looked for in, by platform. */
export function defaultManagedDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'darwin') return '/Library/Application Support/Warden';
  if (platform === 'win32') return path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Warden');
  return '/etc/warden';
}

/** `sha256:<hex>` of the exact bytes. */
export function policyHash(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function untrusted(st: Stats, what: string, folder: boolean): string | null {
  if (st.uid !== 0) return `${what} is owned by uid ${st.uid}, not root`;
  const writable = st.mode & 0o022;
  const sticky = (st.mode & 0o1000) !== 0;
  if (writable && !(folder && sticky)) {
    return `${what} is writable by its group or by everyone (mode ${(st.mode & 0o7777).toString(8)})`;
  }
  return null;
}

/** Null when `dir` and every folder above it are root's alone; else why not. */
async function folderChainProblem(dir: string): Promise<string | null> {
  let current = dir;
  for (let depth = 0; depth < 64; depth++) {
    const problem = untrusted(await lstat(current), `the folder ${current}`, true);
    if (problem) return problem;
    const parent = path.dirname(current);
    if (parent === current) return null;
    current = parent;
  }
  return `the folder ${dir} is nested too deeply`;
}

/**
 * Read `managed.yaml` from `dir`. No file: nothing. A file a non-root user could have written,
 * a symlink, a file over the size limit or an invalid policy: not enforced, with a warning.
 */
export async function loadManagedPolicy(dir: string): Promise<ManagedPolicy> {
  let realDir: string;
  try {
    realDir = await realpath(dir);
  } catch {
    return {};
  }
  const file = path.join(realDir, MANAGED_FILE_NAME);
  const ignored = (why: string) => ({
    warning: `the managed policy ${file} is ignored: ${why}`,
  });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    return ignored(code === 'ELOOP' ? 'it is a symbolic link' : `it cannot be read (${code})`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return ignored('it is not a regular file');
    if (process.platform !== 'win32') {
      const problem = untrusted(st, 'the file', false) ?? (await folderChainProblem(realDir));
      if (problem) return ignored(`${problem}; only an administrator may write it`);
    }
    if (st.size > MAX_ORGANISATION_POLICY_BYTES) {
      return ignored(`it is ${st.size} bytes, over the ${MAX_ORGANISATION_POLICY_BYTES}-byte limit`);
    }
    const bytes = await handle.readFile();
    const parsed = parsePolicy(bytes.toString('utf8'), file);
    if (!parsed.ok) {
      return ignored(`it is not a valid policy: ${parsed.errors.map(formatPolicyError).join('; ')}`);
    }
    const origin: OrganisationOrigin = {
      kind: 'managed',
      hash: policyHash(bytes),
      signedBy: 'root (file owner)',
    };
    return {
      layer: { layer: 'organisation', source: file, document: parsed.document, lines: parsed.lines, origin },
    };
  } finally {
    await handle.close();
  }
}
