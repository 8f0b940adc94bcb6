// The vault at rest: one JSON document. Values are sealed with AES-256-GCM; everything
// else (names, hosts, inject modes, dates) is readable metadata. Decoding is strict: an
// unknown or missing field is an error naming its path.

import type { InjectMode } from '../api/messages.ts';
import type { SealedBox } from './crypto-box.ts';
import type { KeyBackend } from './master-key.ts';

export const VAULT_FORMAT = 'warden-vault';
export const VAULT_VERSION = 1;

export interface StoredSecret {
  name: string;
  hosts: string[];
  inject: InjectMode;
  createdAt: string;
  updatedAt: string;
  value: SealedBox;
}

export interface VaultDocument {
  format: typeof VAULT_FORMAT;
  version: typeof VAULT_VERSION;
  /** Where the master key is kept, so a later start looks in the right place. */
  keyBackend: KeyBackend;
  /** A known text sealed with the master key: tells a wrong key from a damaged secret. */
  keyCheck: SealedBox;
  secrets: StoredSecret[];
}

export const KEY_CHECK_TEXT = 'warden vault key check';
export const KEY_CHECK_AAD = 'warden-vault/key-check';

/**
 * Associated data of a sealed value: the secret's name, and also its hosts and inject mode,
 * so editing the file to re-bind a secret to another host makes the value undecryptable.
 */
export function secretAad(secret: Pick<StoredSecret, 'name' | 'hosts' | 'inject'>): string {
  return JSON.stringify(['warden-vault/v1', secret.name, secret.hosts, secret.inject]);
}

export function serializeVault(doc: VaultDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Decode a vault document; throws an Error whose message names the offending field. */
export function parseVault(text: string): VaultDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('not valid JSON');
  }
  const doc = object(raw, '$', ['format', 'version', 'keyBackend', 'keyCheck', 'secrets']);
  if (doc.format !== VAULT_FORMAT) throw new Error(`$.format is not "${VAULT_FORMAT}"`);
  if (doc.version !== VAULT_VERSION)
    throw new Error(`$.version ${JSON.stringify(doc.version)} is not supported`);
  if (doc.keyBackend !== 'keyring' && doc.keyBackend !== 'file')
    throw new Error('$.keyBackend must be keyring or file');
  if (!Array.isArray(doc.secrets)) throw new Error('$.secrets must be an array');
  const names = new Set<string>();
  const secrets = doc.secrets.map((item: unknown, i: number): StoredSecret => {
    const at = `$.secrets[${i}]`;
    const s = object(item, at, ['name', 'hosts', 'inject', 'createdAt', 'updatedAt', 'value']);
    const name = string(s.name, `${at}.name`);
    if (names.has(name)) throw new Error(`${at}.name: duplicate secret ${name}`);
    names.add(name);
    if (!Array.isArray(s.hosts) || s.hosts.length === 0)
      throw new Error(`${at}.hosts must be a non-empty array`);
    const hosts = s.hosts.map((h: unknown, j: number) => string(h, `${at}.hosts[${j}]`));
    return {
      name,
      hosts,
      inject: string(s.inject, `${at}.inject`) as InjectMode,
      createdAt: string(s.createdAt, `${at}.createdAt`),
      updatedAt: string(s.updatedAt, `${at}.updatedAt`),
      value: sealed(s.value, `${at}.value`),
    };
  });
  return {
    format: VAULT_FORMAT,
    version: VAULT_VERSION,
    keyBackend: doc.keyBackend,
    keyCheck: sealed(doc.keyCheck, '$.keyCheck'),
    secrets,
  };
}

function object(value: unknown, at: string, fields: string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${at} must be an object`);
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) throw new Error(`${at}.${key} is not a known field`);
  }
  for (const key of fields) {
    if (!(key in value)) throw new Error(`${at}.${key} is missing`);
  }
  return value as Record<string, unknown>;
}

function string(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new Error(`${at} must be a string`);
  return value;
}

function sealed(value: unknown, at: string): SealedBox {
  const box = object(value, at, ['iv', 'data', 'tag']);
  return {
    iv: string(box.iv, `${at}.iv`),
    data: string(box.data, `${at}.data`),
    tag: string(box.tag, `${at}.tag`),
  };
}
