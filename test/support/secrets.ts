// The secret store's test helpers: vault paths, a file-keyed vault in a fresh folder and an
// in-memory keyring.

import path from 'node:path';
import type { TestContext } from 'node:test';
import type { KeyringStore } from '../../supervisor/secrets/keyring.ts';
import { Vault, type VaultOpenOptions } from '../../supervisor/secrets/vault.ts';
import { tempDir } from './temp-dir.ts';

export function vaultPaths(dir: string): { file: string; keyFile: string } {
  return { file: path.join(dir, 'secrets.json'), keyFile: path.join(dir, 'secrets.key') };
}

/** A vault with its key in a file (no keyring), in a fresh folder. */
export async function fileVault(t: TestContext, extra: Partial<VaultOpenOptions> = {}): Promise<Vault> {
  return Vault.open({ ...vaultPaths(tempDir(t)), keyring: 'off', ...extra });
}

/** An in-memory keyring; `broken` makes every call fail, `hang` makes every call never answer. */
export class FakeKeyring implements KeyringStore {
  readonly label = 'the fake keyring';
  readonly entries = new Map<string, string>();
  mode: 'ok' | 'broken' | 'hang' = 'ok';

  async get(account: string): Promise<string | null> {
    await this.#gate();
    return this.entries.get(account) ?? null;
  }
  async set(account: string, value: string): Promise<void> {
    await this.#gate();
    this.entries.set(account, value);
  }
  async delete(account: string): Promise<boolean> {
    await this.#gate();
    return this.entries.delete(account);
  }
  #gate(): Promise<void> {
    if (this.mode === 'broken') return Promise.reject(new Error('no secret service'));
    if (this.mode === 'hang') return new Promise(() => {});
    return Promise.resolve();
  }
}
