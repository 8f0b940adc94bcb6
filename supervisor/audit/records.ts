// Row ⇄ AuditRecord conversion shared by query, export and the store. A schema 2 row holds
// the compact event; its OCSF 1.9 object is built here by the same mapper that runs on append
// (canonical key order, metadata uid and logged_time), with the chain's `record_integrity`
// attestation from the row's seq and hashes. A schema 1 row holds the OCSF 1.3 object it hashed.

import type { AuditKind, AuditOutcome, AuditRecord, OcsfEvent } from '../api/audit-types.ts';
import { canonicalCopy, canonicalJson } from './canonical.ts';
import type { StoredEvent } from './compact.ts';
import type { ContextTable } from './contexts.ts';
import { type OcsfContext, toOcsf } from './ocsf.ts';
import { addIntegrity, type ChainLink, type HubWitness } from './ocsf-integrity.ts';

export type { ChainLink, HubWitness } from './ocsf-integrity.ts';

/** A record as selected by Layout.columns (raw mode, positional). */
export type RawRow = [
  seq: number,
  time: number,
  kind: string,
  sandboxId: string | null,
  user: string,
  host: string | null,
  outcome: string | null,
  body: string,
  prevHash: string,
  hash: string,
  ctx: number | null,
  logged: number | null,
];

/** The OCSF object of a compact event, as mapped (before canonical ordering). */
function mapped(
  body: string,
  ctx: OcsfContext,
  link: ChainLink,
  logged: number,
  witness?: HubWitness,
): OcsfEvent {
  const event = JSON.parse(body) as StoredEvent;
  const { ocsf } = toOcsf(event, ctx, logged);
  const metadata = ocsf.metadata as Record<string, unknown>;
  metadata.uid = String(link.seq);
  metadata.logged_time = logged;
  addIntegrity(ocsf, ctx, link, witness);
  return ocsf;
}

/** Canonical JSON text of the OCSF object of a compact event (exports). */
export function mapCompact(
  body: string,
  ctx: OcsfContext,
  link: ChainLink,
  logged: number,
  witness?: HubWitness,
): string {
  return canonicalJson(mapped(body, ctx, link, logged, witness));
}

/**
 * The OCSF object of a compact event as mapped, keys not yet in canonical order (for an
 * encoder that orders keys as it writes: the OTLP export's hot path skips the copy).
 */
export function mapCompactRaw(
  body: string,
  ctx: OcsfContext,
  link: ChainLink,
  logged: number,
  witness?: HubWitness,
): OcsfEvent {
  return mapped(body, ctx, link, logged, witness);
}

/** The OCSF object of a compact event, as JSON.parse(mapCompact(…)) gives it (keys in order). */
export function mapCompactObject(
  body: string,
  ctx: OcsfContext,
  link: ChainLink,
  logged: number,
  witness?: HubWitness,
): OcsfEvent {
  return canonicalCopy(mapped(body, ctx, link, logged, witness)) as OcsfEvent;
}

export function toRecord(
  row: RawRow,
  contexts: ContextTable,
  witnessOf?: (seq: number) => HubWitness | undefined,
): AuditRecord {
  return {
    seq: row[0],
    time: row[1],
    kind: row[2] as AuditKind,
    sandboxId: row[3],
    user: row[4],
    host: row[5],
    outcome: row[6] as AuditOutcome | null,
    ocsf:
      row[10] === null
        ? (JSON.parse(row[7]) as OcsfEvent)
        : mapCompactObject(
            row[7],
            contexts.context(row[10]),
            { seq: row[0], prevHash: row[8], hash: row[9] },
            row[11] ?? 0,
            witnessOf?.(row[0]),
          ),
    prevHash: row[8],
    hash: row[9],
  };
}
