// Where Warden keeps its state. Everything (policies, CA, secrets, sockets, database)
// lives under one folder so isolated instances can run side by side.

import { chmodSync, lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface WardenPaths {
  home: string;
  socket: string;
  tokenFile: string;
  pidFile: string;
  daemonLog: string;
  basePolicy: string;
  caDir: string;
  secretsFile: string;
  secretsKeyFile: string;
  auditDb: string;
  /** The team hub sync link's Ed25519 device key (0600; never printed). */
  syncKeyFile: string;
  runDir: string;
}

/** $WARDEN_HOME, else the platform's application-data folder. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.WARDEN_HOME) return path.resolve(env.WARDEN_HOME);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Warden');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Warden');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'warden');
}

export function wardenPaths(home: string): WardenPaths {
  return {
    home,
    socket: path.join(home, 'warden.sock'),
    tokenFile: path.join(home, 'token'),
    pidFile: path.join(home, 'daemon.pid'),
    daemonLog: path.join(home, 'daemon.log'),
    basePolicy: path.join(home, 'policy.yaml'),
    caDir: path.join(home, 'ca'),
    secretsFile: path.join(home, 'secrets.json'),
    secretsKeyFile: path.join(home, 'secrets.key'),
    auditDb: path.join(home, 'audit.db'),
    syncKeyFile: path.join(home, 'sync.key'),
    runDir: path.join(home, 'run'),
  };
}

/** Why a home folder cannot be used, with the command that fixes it. */
export class HomeModeError extends Error {
  override name = 'HomeModeError';
}

/** The file-system calls ensureHome makes (a seam for tests of the refusals). */
export interface HomeFs {
  mkdirSync: typeof mkdirSync;
  statSync: (file: string) => { isDirectory(): boolean; mode: number; uid: number };
  lstatSync: (file: string) => {
    isDirectory(): boolean;
    isSymbolicLink(): boolean;
    mode: number;
    uid: number;
  };
  realpathSync: (file: string) => string;
  chmodSync: typeof chmodSync;
  getuid: (() => number) | undefined;
}

const realFs: HomeFs = {
  mkdirSync,
  statSync,
  lstatSync,
  realpathSync: (file) => realpathSync(file),
  chmodSync,
  getuid: process.getuid,
};

/** `/`, `/a`, `/a/b`: every folder on the way to `file`, and `file`. */
function lineage(file: string): string[] {
  const out: string[] = [];
  for (let p = path.resolve(file); ; p = path.dirname(p)) {
    out.unshift(p);
    if (path.dirname(p) === p) return out;
  }
}

/**
 * Refuse a home that another user could swap for a folder of theirs: a folder or symlink on
 * its way (as written, or resolved) owned by another user than us or root, or a folder on
 * its way that others can write and that is not sticky (in /tmp, our entries stay ours).
 */
function checkLineage(home: string, fs: HomeFs, uid: number): void {
  const real = fs.realpathSync(home);
  const ends = new Set([path.resolve(home), real]);
  const seen = new Set<string>();
  for (const p of [...lineage(home), ...lineage(real)]) {
    if (seen.has(p)) continue;
    seen.add(p);
    const st = fs.lstatSync(p);
    if (st.uid !== uid && st.uid !== 0) {
      throw new HomeModeError(
        `WARDEN_HOME ${home} is reached through ${p}, which belongs to another user (uid ${st.uid}) who could replace it; use a folder of your own`,
      );
    }
    if (!ends.has(p) && !st.isSymbolicLink() && (st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
      throw new HomeModeError(
        `WARDEN_HOME ${home} is under ${p}, which can be written by other users and is not sticky, so anyone could replace it; run: chmod o-w ${p}, or use another folder`,
      );
    }
  }
}

/**
 * Create the home folder owner-only (0700), or make an existing one so: a home other users
 * can read or enter is tightened to 0700, and the returned note says so (for the log). A
 * home another user owns, or one others can write (its contents may have been planted), or
 * one another user could swap (checkLineage), is refused with the command to run.
 */
export function ensureHome(home: string, fs: HomeFs = realFs): string | null {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const st = fs.statSync(home);
  if (!st.isDirectory()) throw new HomeModeError(`WARDEN_HOME ${home} is not a folder`);
  if (process.platform === 'win32') return null;
  const mode = (st.mode & 0o777).toString(8).padStart(3, '0');
  const uid = fs.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new HomeModeError(
      `WARDEN_HOME ${home} belongs to another user (uid ${st.uid}, not ${uid}); use a folder of your own, or as its owner run: chown ${uid} ${home} && chmod 700 ${home}`,
    );
  }
  if (uid !== undefined) checkLineage(home, fs, uid);
  if ((st.mode & 0o022) !== 0) {
    throw new HomeModeError(
      `WARDEN_HOME ${home} can be written by other users (mode ${mode}); check what is in it, then run: chmod 700 ${home}`,
    );
  }
  if ((st.mode & 0o077) === 0) return null;
  try {
    fs.chmodSync(home, 0o700);
  } catch (error) {
    throw new HomeModeError(
      `WARDEN_HOME ${home} can be read by other users (mode ${mode}) and could not be tightened (${(error as NodeJS.ErrnoException).code}); run: chmod 700 ${home}`,
    );
  }
  return `WARDEN_HOME ${home} was mode ${mode} (other users could read it); tightened to 700`;
}
