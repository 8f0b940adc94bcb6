// The secrets vault: values encrypted at rest (AES-256-GCM), the master key in the OS
// keyring or an owner-only key file. Values leave only through `reveal`, for the proxy.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { SecretView } from '../api/messages.ts';
import { matchHostPattern } from '../policy/index.ts';
import { open, seal } from './crypto-box.ts';
import { VaultError } from './errors.ts';
import { type KeyringStore, systemKeyring } from './keyring.ts';
import { type KeyBackend, obtainMasterKey } from './master-key.ts';
import { assertOwnerOnly, readIfExists, writeFileAtomic } from './private-file.ts';
import {
  formatInjectMode,
  normalizeSecretHosts,
  parseInjectMode,
  validateSecretName,
  validateSecretValue,
} from './validate.ts';
import {
  KEY_CHECK_AAD,
  KEY_CHECK_TEXT,
  parseVault,
  type StoredSecret,
  secretAad,
  serializeVault,
  VAULT_FORMAT,
  VAULT_VERSION,
  type VaultDocument,
} from './vault-file.ts';

const BINDING_CACHE_HOSTS = 4096;

export interface VaultOpenOptions {
  /** The vault file (JSON, 0600). */
  file: string;
  /** Where the master key is kept when the keyring is not used (0600). */
  keyFile: string;
  /** `auto` (default): use the OS keyring when a probe round-trip works; `off`: key file only. */
  keyring?: 'auto' | 'off';
  /** The keyring to use (default: the OS keyring). For tests. */
  keyringStore?: KeyringStore;
  /** Deadline for each keyring operation (default 1,500 ms). */
  keyringTimeoutMs?: number;
  /** Clock, for tests. */
  now?: () => Date;
}

export interface SetSecretOptions {
  hosts: string[];
  inject: string;
}

export class Vault {
  readonly file: string;
  readonly backend: KeyBackend;
  readonly #key: Buffer;
  readonly #now: () => Date;
  #doc: VaultDocument;
  #secrets: Map<string, StoredSecret>;
  #writes: Promise<unknown> = Promise.resolve();
  /** host → secret name → bound? Host matching is costly; requests repeat hosts. Cleared on writes. */
  #bindings = new Map<string, Map<string, boolean>>();
  /**
   * Decrypted values, filled by `reveal`. Deciphering costs ~20 µs per call on the request
   * path; a value held in memory is no weaker than the master key held in memory.
   */
  #plain = new Map<string, string>();

  private constructor(file: string, key: Buffer, backend: KeyBackend, doc: VaultDocument, now: () => Date) {
    this.file = file;
    this.backend = backend;
    this.#key = key;
    this.#now = now;
    this.#doc = doc;
    this.#secrets = new Map(doc.secrets.map((s) => [s.name, s]));
  }

  /**
   * Open the vault in `file`, creating it (and its key) when absent. A damaged file or a
   * wrong key is an error naming the file and what to do; the file is never rewritten by a
   * failed open.
   */
  static async open(options: VaultOpenOptions): Promise<Vault> {
    const file = path.resolve(options.file);
    const keyFile = path.resolve(options.keyFile);
    const now = options.now ?? (() => new Date());
    await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fsp.mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });

    const bytes = await readIfExists(file);
    let doc: VaultDocument | undefined;
    if (bytes !== undefined) {
      await assertOwnerOnly(file, 'vault file');
      try {
        doc = parseVault(bytes.toString('utf8'));
      } catch (err) {
        throw new VaultError(
          `the vault file ${file} is damaged: ${(err as Error).message}`,
          file,
          `Restore it from a backup, or move it away (mv ${file} ${file}.damaged) to start an empty vault`,
        );
      }
    }

    const { key, backend } = await obtainMasterKey({
      vaultFile: file,
      keyFile,
      keyring: options.keyring ?? 'auto',
      store: options.keyringStore ?? systemKeyring(),
      timeoutMs: options.keyringTimeoutMs ?? 1500,
      existing: doc?.keyBackend,
    });

    if (doc === undefined) {
      doc = {
        format: VAULT_FORMAT,
        version: VAULT_VERSION,
        keyBackend: backend,
        keyCheck: seal(key, KEY_CHECK_TEXT, KEY_CHECK_AAD),
        secrets: [],
      };
      await writeFileAtomic(file, serializeVault(doc), { mode: 0o600 });
    } else {
      checkKey(doc, key, file, backend === 'file' ? keyFile : 'the OS keyring');
    }
    return new Vault(file, key, backend, doc, now);
  }

  /** Add or replace a secret. Resolves once it is safely on disk; rejects a bad name, host, mode or value. */
  async set(name: string, value: string, options: SetSecretOptions): Promise<SecretView> {
    validateSecretName(name);
    const inject = formatInjectMode(parseInjectMode(options?.inject));
    const hosts = normalizeSecretHosts(options?.hosts);
    validateSecretValue(value, parseInjectMode(inject));
    return this.#write(() => {
      const time = this.#now().toISOString();
      const previous = this.#secrets.get(name);
      const secret: StoredSecret = {
        name,
        hosts,
        inject,
        createdAt: previous?.createdAt ?? time,
        updatedAt: time,
        value: seal(this.#key, value, secretAad({ name, hosts, inject })),
      };
      const next = new Map(this.#secrets);
      next.set(name, secret);
      return { next, result: view(secret) };
    });
  }

  /** Remove a secret; false when there was none of that name. */
  remove(name: string): Promise<boolean> {
    return this.#write(() => {
      if (!this.#secrets.has(name)) return { next: undefined, result: false };
      const next = new Map(this.#secrets);
      next.delete(name);
      return { next, result: true };
    });
  }

  /** Every secret without its value, by name. */
  list(): SecretView[] {
    return [...this.#secrets.values()]
      .map(view)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** One secret without its value. */
  get(name: string): SecretView | undefined {
    const secret = this.#secrets.get(name);
    return secret ? view(secret) : undefined;
  }

  has(name: string): boolean {
    return this.#secrets.has(name);
  }

  /** Is the secret `name` bound to `host` (one of its host patterns matches)? False when there is no such secret. */
  isBound(name: string, host: string): boolean {
    let byName = this.#bindings.get(host);
    const known = byName?.get(name);
    if (known !== undefined) return known;
    const secret = this.#secrets.get(name);
    const bound = secret ? secret.hosts.some((pattern) => matchHostPattern(pattern, host)) : false;
    if (!byName) {
      if (this.#bindings.size >= BINDING_CACHE_HOSTS) this.#bindings.clear();
      byName = new Map();
      this.#bindings.set(host, byName);
    }
    byName.set(name, bound);
    return bound;
  }

  get size(): number {
    return this.#secrets.size;
  }

  /** The real value. Internal: only the proxy's injection calls this. */
  reveal(name: string): string {
    const cached = this.#plain.get(name);
    if (cached !== undefined) return cached;
    const secret = this.#secrets.get(name);
    if (!secret) throw new VaultError(`there is no secret named ${name}`, undefined);
    const value = open(this.#key, secret.value, secretAad(secret));
    if (value === undefined) {
      throw new VaultError(`the secret ${name} in ${this.file} cannot be decrypted`, this.file);
    }
    this.#plain.set(name, value);
    return value;
  }

  toString(): string {
    return `Vault(${this.file}, ${this.#secrets.size} secrets, key in ${this.backend})`;
  }

  toJSON(): { file: string; backend: KeyBackend; secrets: number } {
    return { file: this.file, backend: this.backend, secrets: this.#secrets.size };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** Serialize writes; memory changes only after the new file is on disk. */
  #write<T>(change: () => { next: Map<string, StoredSecret> | undefined; result: T }): Promise<T> {
    const run = async () => {
      const { next, result } = change();
      if (next) {
        const doc: VaultDocument = { ...this.#doc, secrets: [...next.values()] };
        await writeFileAtomic(this.file, serializeVault(doc), { mode: 0o600 });
        this.#doc = doc;
        this.#secrets = next;
        this.#bindings = new Map();
        this.#plain = new Map();
      }
      return result;
    };
    const done = this.#writes.then(run, run);
    this.#writes = done.catch(() => undefined);
    return done;
  }
}

function view(secret: StoredSecret): SecretView {
  return {
    name: secret.name,
    hosts: [...secret.hosts],
    inject: secret.inject,
    createdAt: secret.createdAt,
    updatedAt: secret.updatedAt,
  };
}

/** A wrong key and a damaged entry are told apart, each with what to do. */
function checkKey(doc: VaultDocument, key: Buffer, file: string, keyPlace: string): void {
  if (open(key, doc.keyCheck, KEY_CHECK_AAD) !== KEY_CHECK_TEXT) {
    throw new VaultError(
      `the master key in ${keyPlace} does not open the vault ${file}`,
      file,
      `Restore the key that belongs to this vault, or move ${file} away to start an empty vault (its secrets are then lost)`,
    );
  }
  for (const secret of doc.secrets) {
    if (open(key, secret.value, secretAad(secret)) === undefined) {
      throw new VaultError(
        `the secret ${secret.name} in the vault ${file} cannot be decrypted: the file was damaged or edited`,
        file,
        `Restore ${file} from a backup, or move it away to start an empty vault`,
      );
    }
  }
}
