// Where Warden keeps its state. Everything (policies, CA, secrets, sockets, database)
// lives under one folder so isolated instances can run side by side.

import { mkdirSync, statSync } from 'node:fs';
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
    runDir: path.join(home, 'run'),
  };
}

/** Create the home folder owner-only (0700). Refuses a home another user can write. */
export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const st = statSync(home);
  if (!st.isDirectory()) throw new Error(`WARDEN_HOME ${home} is not a folder`);
  if (process.platform !== 'win32' && (st.mode & 0o022) !== 0) {
    throw new Error(
      `WARDEN_HOME ${home} can be written by other users (mode ${(st.mode & 0o777).toString(8)}); run: chmod 700 ${home}`,
    );
  }
}
