// Installed agents on disk: $WARDEN_HOME/agents/<name>/<version>/ holds npm's tree of the
// package (node_modules, package.json, package-lock.json) and warden-agent.json, what
// Warden pinned when it installed it. The whole folder is shared read-only into every VM
// (/opt/agents); a sandbox that names an agent gets its .bin folder on PATH.
// What an install left in its staging folder was written by a sandbox: it is read here
// without following any link, and only exact versions name folders.

import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type { AgentPin, AgentView } from '../api/agent-types.ts';
import { WardenError } from '../api/errors.ts';
import { agentDirName, isExactVersion, parseAgentSpec } from './catalog.ts';

export const META_FILE = 'warden-agent.json';
const MAX_LOCK_BYTES = 32 << 20;

/** An agent a sandbox runs: its pin and the guest folder to put on PATH. */
export interface ResolvedAgent {
  pin: AgentPin;
  guestBin: string;
}

/** What npm installed, read from the staging folder's package-lock.json. */
export interface InstalledPackage {
  version: string;
  integrity: string;
  bins: string[];
}

/** Reads ROOT/REL refusing any link on the way and anything larger than MAX bytes. */
export function readInside(root: string, rel: string, max: number): Buffer {
  let at = root;
  for (const part of rel.split('/')) {
    if (part === '' || part === '.' || part === '..') throw new Error(`bad path ${rel}`);
    at = path.join(at, part);
    const st = lstatSync(at);
    if (st.isSymbolicLink()) throw new Error(`${rel} goes through a symbolic link (${at})`);
  }
  const st = lstatSync(at);
  if (!st.isFile()) throw new Error(`${rel} is not a regular file`);
  if (st.size > max) throw new Error(`${rel} is larger than ${max} bytes`);
  const fd = openSync(at, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** The installed package's version, integrity and commands, from npm's lock file in DIR. */
export function readInstalled(dir: string, pkg: string): InstalledPackage {
  const lock = JSON.parse(readInside(dir, 'package-lock.json', MAX_LOCK_BYTES).toString('utf8')) as {
    packages?: Record<string, { version?: unknown; integrity?: unknown; bin?: unknown }>;
  };
  const entry = lock.packages?.[`node_modules/${pkg}`];
  const version = entry?.version;
  const integrity = entry?.integrity;
  if (typeof version !== 'string' || !isExactVersion(version))
    throw new Error(`package-lock.json names no exact version of ${pkg}`);
  if (typeof integrity !== 'string' || !/^sha512-[A-Za-z0-9+/]{86}==$/.test(integrity))
    throw new Error(`package-lock.json has no sha512 integrity for ${pkg}`);
  const bin = entry?.bin;
  const bins =
    bin && typeof bin === 'object' ? Object.keys(bin).filter((b) => /^[A-Za-z0-9._-]{1,64}$/.test(b)) : [];
  return { version, integrity, bins };
}

/** Bytes on disk of a tree, as du counts them: links never followed, a hard-linked file once. */
export function treeBytes(dir: string, budget = { entries: 2_000_000, seen: new Set<string>() }): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (--budget.entries < 0) throw new Error(`more than 2,000,000 entries under ${dir}`);
    const p = path.join(dir, e.name);
    const st = lstatSync(p);
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (budget.seen.has(key)) continue;
      budget.seen.add(key);
    }
    total += st.blocks * 512;
    if (e.isDirectory()) total += treeBytes(p, budget);
  }
  return total;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const pb = b.split(/[.+-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (x === undefined) return 1; // 1.0.0 after 1.0.0-beta
    if (y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

export class AgentStore {
  constructor(
    readonly dir: string,
    /** Where the folder is mounted in the guests. */
    readonly guestDir = '/opt/agents',
  ) {}

  ensure(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  list(): AgentView[] {
    const out: AgentView[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(this.dir).filter((n) => !n.startsWith('.'));
    } catch {
      return [];
    }
    for (const n of names) {
      let versions: string[] = [];
      try {
        versions = readdirSync(path.join(this.dir, n));
      } catch {
        continue;
      }
      for (const v of versions) {
        try {
          const meta = JSON.parse(
            readInside(path.join(this.dir, n), `${v}/${META_FILE}`, 1 << 20).toString('utf8'),
          );
          out.push(meta as AgentView);
        } catch {
          // Not an install Warden finished: ignored (agent rm removes it).
        }
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(b.version, a.version));
  }

  /** The installed version of NAME (newest, or VERSION), or undefined. */
  find(name: string, version?: string): AgentView | undefined {
    return this.list().find((a) => a.name === name && (version === undefined || a.version === version));
  }

  /** The agents a sandbox asks for (names or NAME@VERSION), pinned; throws naming the missing one. */
  resolve(specs: string[]): ResolvedAgent[] {
    return specs.map((s) => {
      const spec = parseAgentSpec(s);
      const found = spec ? this.find(spec.name, spec.version) : undefined;
      if (!spec || !found)
        throw new WardenError(
          'AgentNotFound',
          `the agent ${s} is not installed`,
          `install it with: warden agent add ${s}`,
        );
      return {
        pin: { name: found.name, package: found.package, version: found.version, integrity: found.integrity },
        guestBin: `${this.guestDir}/${agentDirName(found.name)}/${found.version}/node_modules/.bin`,
      };
    });
  }

  /** The folder a version lives in. */
  versionDir(name: string, version: string): string {
    if (!isExactVersion(version)) throw new Error(`not an exact version: ${version}`);
    return path.join(this.dir, agentDirName(name), version);
  }

  /** Moves a finished install into place and writes its pin; false when that version was there already. */
  commit(staging: string, view: AgentView): boolean {
    const final = this.versionDir(view.name, view.version);
    mkdirSync(path.dirname(final), { recursive: true, mode: 0o700 });
    try {
      renameSync(staging, final);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw error;
    }
    writeFileSync(path.join(final, META_FILE), `${JSON.stringify(view, null, 2)}\n`, { mode: 0o644 });
    return true;
  }

  /** Removes every version of NAME; the pins removed. */
  remove(name: string): AgentPin[] {
    const gone = this.list()
      .filter((a) => a.name === name)
      .map(({ name, package: pkg, version, integrity }) => ({ name, package: pkg, version, integrity }));
    if (gone.length === 0)
      throw new WardenError(
        'AgentNotFound',
        `no agent ${name} is installed`,
        'list them with: warden agent ls',
      );
    rmSync(path.join(this.dir, agentDirName(name)), { recursive: true, force: true });
    return gone;
  }
}
