// The hash chain. Each record's hash is SHA-256 over the previous record's hash followed by
// the record's canonical form (sorted keys, no whitespace), which itself includes `seq` and
// `prev_hash`. The `ocsf` column is stored already canonical, so the canonical form of a row
// is assembled from its columns without parsing (this is what makes verify fast).

import { hash } from 'node:crypto';

/** prev_hash of the first record ever written. */
export const GENESIS_HASH = '0'.repeat(64);

/** The columns a record's hash covers, as stored. */
export interface ChainRow {
  seq: number;
  time: number;
  kind: string;
  sandbox_id: string | null;
  user: string;
  host: string | null;
  outcome: string | null;
  /** Canonical JSON text of the OCSF object. */
  ocsf: string;
  prev_hash: string;
}

// Characters JSON.stringify would escape (quote, backslash, controls, lone surrogates).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON text of a string or null, as canonicalJson writes it (fast path for plain strings). */
export function jsonString(value: string | null): string {
  if (value === null) return 'null';
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}
const str = jsonString;

/** Canonical JSON of a row: equal to canonicalJson({...row, ocsf: JSON.parse(row.ocsf)}). */
export function canonicalRow(row: ChainRow): string {
  return (
    `{"host":${str(row.host)},"kind":${str(row.kind)},"ocsf":${row.ocsf},"outcome":${str(row.outcome)}` +
    `,"prev_hash":${str(row.prev_hash)},"sandbox_id":${str(row.sandbox_id)},"seq":${row.seq}` +
    `,"time":${row.time},"user":${str(row.user)}}`
  );
}

export function rowHash(row: ChainRow): string {
  return hash('sha256', row.prev_hash + canonicalRow(row), 'hex');
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A column value as SQLite will store it: SQLite holds UTF-8, into which a lone surrogate
 * cannot be encoded (it becomes U+FFFD). Hashing the value before that replacement would
 * give a hash that the stored row can never reproduce, so the store hashes and stores this.
 */
export function storable<T extends string | null>(value: T): T {
  if (value === null || !NEEDS_ESCAPE.test(value)) return value;
  return value.replace(LONE_SURROGATE, '\ufffd') as T;
}
