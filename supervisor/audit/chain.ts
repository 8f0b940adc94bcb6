// The hash chain. Each record's hash is SHA-256 over the previous record's hash followed by
// the record's canonical form (sorted keys, no whitespace), which itself includes `seq` and
// `prev_hash`. The `ocsf` column is stored already canonical, so the canonical form of a row
// is assembled from its columns without parsing (this is what makes verify fast).

import { createHash } from 'node:crypto';

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
  return createHash('sha256').update(row.prev_hash).update(canonicalRow(row)).digest('hex');
}
