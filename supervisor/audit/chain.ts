// The hash chain. Each record's hash is SHA-256 over the previous record's hash followed by
// the record's canonical form (sorted keys, no whitespace), which itself includes `seq` and
// `prev_hash`. The JSON parts are stored already canonical, so the canonical form of a row
// is assembled from its columns without parsing (this is what makes verify fast).
//
// Two record formats share one chain (see README "Record formats"):
// - schema 2 (written now): {"ctx","event","host","kind","logged","outcome","prev_hash",
//   "sandbox_id","seq","time","user"}; `event` is the compact event (compact.ts), `ctx` the
//   writer's device and version, `logged` the append time. The OCSF object is built on read.
// - schema 1 (legacy rows, kept as written): {"host","kind","ocsf","outcome","prev_hash",
//   "sandbox_id","seq","time","user"}; `ocsf` is the stored OCSF object.
// A row is legacy exactly when its `ctx` is null; verify also checks that only the rows up to
// the seq where the database was migrated are legacy.

import { hash } from 'node:crypto';

/** prev_hash of the first record ever written. */
export const GENESIS_HASH = '0'.repeat(64);

/** The columns a record's hash covers, as stored (`ctx` resolved to its text). */
export interface ChainRow {
  seq: number;
  time: number;
  kind: string;
  sandbox_id: string | null;
  user: string;
  host: string | null;
  outcome: string | null;
  /** Canonical JSON text: the compact event, or the OCSF object of a legacy row. */
  body: string;
  /** Canonical JSON text of the writer's context; null for a legacy row. */
  ctx: string | null;
  /** Append time (epoch ms); null for a legacy row. */
  logged: number | null;
  prev_hash: string;
}

// Characters JSON.stringify would escape (quote, backslash, controls, lone surrogates).
export const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON text of a string or null, as canonicalJson writes it (fast path for plain strings). */
export function jsonString(value: string | null): string {
  if (value === null) return 'null';
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}
const str = jsonString;

/**
 * Canonical JSON of a row: equal to canonicalJson of the record with its JSON parts parsed
 * ({ctx, event, …} for schema 2, {ocsf, …} for a legacy row).
 */
export function canonicalRow(row: ChainRow): string {
  if (row.ctx === null) return legacyCanonicalRow(row);
  return (
    `{"ctx":${row.ctx},"event":${row.body},"host":${str(row.host)},"kind":${str(row.kind)}` +
    `,"logged":${row.logged},"outcome":${str(row.outcome)},"prev_hash":${str(row.prev_hash)}` +
    `,"sandbox_id":${str(row.sandbox_id)},"seq":${row.seq},"time":${row.time},"user":${str(row.user)}}`
  );
}

/** Schema 1: the OCSF object in the row, as written by Warden before schema 2. */
export function legacyCanonicalRow(row: ChainRow): string {
  return (
    `{"host":${str(row.host)},"kind":${str(row.kind)},"ocsf":${row.body},"outcome":${str(row.outcome)}` +
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
  if (value === null) return value;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdfff) return value.replace(LONE_SURROGATE, '\ufffd') as T;
  }
  return value;
}
