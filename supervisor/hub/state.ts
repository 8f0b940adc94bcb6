// The hub's own state folder (0700): its Ed25519 checkpoint key (hub.key, 0600, in the C2SP
// signer-key format) and hub.json (the URL and TLS pin devices are given in enrollment
// strings). Hub processes sharing one database must share this key: the database records
// the verifier key of the log it holds, and a hub with another key refuses to start on it.

import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WardenError } from '../api/errors.ts';
import { formatSignerKey, type NoteSigner, noteSigner, parseSignerKey } from '../tlog/note.ts';

export interface HubPaths {
  home: string;
  key: string;
  info: string;
  db: string;
}

/** $WARDEN_HUB_HOME, else warden-hub beside Warden's data folder. */
export function defaultHubHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WARDEN_HUB_HOME) return path.resolve(env.WARDEN_HUB_HOME);
  return path.join(env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'warden-hub');
}

export function hubPaths(home: string): HubPaths {
  return {
    home,
    key: path.join(home, 'hub.key'),
    info: path.join(home, 'hub.json'),
    db: path.join(home, 'hub.db'),
  };
}

function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
}

/** Create the folder (0700) and the key if missing; returns the signer. */
export function openHubHome(home: string, origin?: string): { paths: HubPaths; signer: NoteSigner } {
  const paths = hubPaths(home);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  if (!existsSync(paths.key)) {
    const name = origin ?? `${os.hostname().replace(/[\s+]/g, '-') || 'hub'}/warden-hub`;
    writePrivate(
      paths.key,
      `${formatSignerKey(noteSigner(name, generateKeyPairSync('ed25519').privateKey))}\n`,
    );
  }
  try {
    return { paths, signer: parseSignerKey(readFileSync(paths.key, 'utf8').trim()) };
  } catch (error) {
    throw new WardenError(
      'BadRequest',
      `the hub key ${paths.key} is unreadable: ${(error as Error).message}`,
      'Restore it from a backup: a new key cannot continue the log the devices have seen.',
    );
  }
}

export interface HubInfo {
  url: string;
  tlsPin: string | null;
}

export function writeHubInfo(paths: HubPaths, info: HubInfo): void {
  writeFileSync(paths.info, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

export function readHubInfo(paths: HubPaths): HubInfo | undefined {
  try {
    return JSON.parse(readFileSync(paths.info, 'utf8')) as HubInfo;
  } catch {
    return undefined;
  }
}
