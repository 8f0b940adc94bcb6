// Where the vault's 32-byte master key lives: the OS keyring when one works, else an
// owner-only key file created atomically. Never creates a new key for an existing vault.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { MASTER_KEY_BYTES } from './crypto-box.ts';
import { VaultError } from './errors.ts';
import { type KeyringStore, probeKeyring, withDeadline } from './keyring.ts';
import { assertOwnerOnly, readIfExists, writeFileAtomic } from './private-file.ts';

export type KeyBackend = 'keyring' | 'file';

export interface MasterKeyOptions {
  vaultFile: string;
  keyFile: string;
  keyring: 'auto' | 'off';
  store: KeyringStore;
  timeoutMs: number;
  /** The backend recorded in an existing vault file; undefined for a new vault. */
  existing: KeyBackend | undefined;
}

export interface MasterKey {
  key: Buffer;
  backend: KeyBackend;
}

/** The keyring account of a vault: derived from its absolute path, so instances do not collide. */
export function keyringAccount(vaultFile: string): string {
  return `vault:${path.resolve(vaultFile)}`;
}

export async function obtainMasterKey(options: MasterKeyOptions): Promise<MasterKey> {
  const { vaultFile, keyFile } = options;
  if (options.existing === 'file') {
    const key = await readKeyFile(keyFile);
    if (key) return { key, backend: 'file' };
    throw new VaultError(
      `the vault ${vaultFile} exists but its key file ${keyFile} is missing`,
      keyFile,
      `Restore ${keyFile} from a backup, or move ${vaultFile} away to start an empty vault (its secrets are then lost)`,
    );
  }
  if (options.existing === 'keyring') {
    const missing = (why: string) =>
      new VaultError(
        `the vault ${vaultFile} keeps its key in ${options.store.label}, which ${why}`,
        vaultFile,
        `Start Warden in a session where the keyring is unlocked, or move ${vaultFile} away to start an empty vault (its secrets are then lost)`,
      );
    if (options.keyring === 'off') throw missing('is turned off for this run');
    const key = await readKeyringKey(options).catch((err: unknown) => {
      throw err instanceof VaultError ? err : missing('cannot be reached');
    });
    if (!key) throw missing(`has no entry for ${keyringAccount(vaultFile)}`);
    return { key, backend: 'keyring' };
  }

  // A new vault: reuse a key left from an earlier start, else make one.
  const fileKey = await readKeyFile(keyFile);
  if (fileKey) return { key: fileKey, backend: 'file' };
  if (options.keyring === 'auto' && (await probeKeyring(options.store, options.timeoutMs))) {
    try {
      const stored = await readKeyringKey(options);
      if (stored) return { key: stored, backend: 'keyring' };
      const key = randomBytes(MASTER_KEY_BYTES);
      const account = keyringAccount(vaultFile);
      await withDeadline(options.timeoutMs, (signal) =>
        options.store.set(account, key.toString('base64'), signal),
      );
      const back = await readKeyringKey(options);
      if (back?.equals(key)) return { key, backend: 'keyring' };
    } catch {
      // The keyring worked for the probe but not now: fall back to the file.
    }
  }
  const key = randomBytes(MASTER_KEY_BYTES);
  try {
    await writeFileAtomic(keyFile, `${key.toString('base64')}\n`, { mode: 0o600, exclusive: true });
  } catch (err) {
    // Another process created the key file first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const theirs = await readKeyFile(keyFile);
    if (theirs) return { key: theirs, backend: 'file' };
    throw err;
  }
  return { key, backend: 'file' };
}

async function readKeyringKey(options: MasterKeyOptions): Promise<Buffer | undefined> {
  const account = keyringAccount(options.vaultFile);
  const text = await withDeadline(options.timeoutMs, (signal) => options.store.get(account, signal));
  if (text === null) return undefined;
  const key = Buffer.from(text, 'base64');
  if (key.length !== MASTER_KEY_BYTES) {
    throw new VaultError(
      `the vault key in ${options.store.label} (account ${account}) is damaged`,
      options.vaultFile,
      'Delete that keyring entry and move the vault file away to start an empty vault',
    );
  }
  return key;
}

async function readKeyFile(keyFile: string): Promise<Buffer | undefined> {
  const bytes = await readIfExists(keyFile);
  if (bytes === undefined) return undefined;
  await assertOwnerOnly(keyFile, 'vault key file');
  const text = bytes.toString('utf8').trim();
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length !== MASTER_KEY_BYTES) {
    throw new VaultError(
      `the vault key file ${keyFile} is damaged (expected ${MASTER_KEY_BYTES} bytes in base64)`,
      keyFile,
      'Restore it from a backup; if the vault holds nothing you need, move both the key file and the vault file away',
    );
  }
  return key;
}
