// Row ⇄ AuditRecord conversion shared by query, export and the store. A schema 2 row holds
// the compact event; its OCSF object is built here by the same mapper that runs on append
// (the output is what schema 1 stored: canonical key order, metadata uid and logged_time).

import type { AuditKind, AuditOutcome, AuditRecord, OcsfEvent } from '../api/audit-types.ts';
import { canonicalCopy, canonicalJson } from './canonical.ts';
import type { StoredEvent } from './compact.ts';
import type { ContextTable } from './contexts.ts';
import { type OcsfContext, toOcsf } from './ocsf.ts';

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
function mapped(body: string, ctx: OcsfContext, seq: number, logged: number): OcsfEvent {
  const event = JSON.parse(body) as StoredEvent;
  const { ocsf } = toOcsf(event, ctx, logged);
  const metadata = ocsf.metadata as Record<string, unknown>;
  metadata.uid = String(seq);
  metadata.logged_time = logged;
  return ocsf;
}

/** Canonical JSON text of the OCSF object of a compact event (exports). */
export function mapCompact(body: string, ctx: OcsfContext, seq: number, logged: number): string {
  return canonicalJson(mapped(body, ctx, seq, logged));
}

/**
 * The OCSF object of a compact event as mapped, keys not yet in canonical order (for an
 * encoder that orders keys as it writes: the OTLP export's hot path skips the copy).
 */
export function mapCompactRaw(body: string, ctx: OcsfContext, seq: number, logged: number): OcsfEvent {
  return mapped(body, ctx, seq, logged);
}

/** The OCSF object of a compact event, as JSON.parse(mapCompact(…)) gives it (keys in order). */
export function mapCompactObject(body: string, ctx: OcsfContext, seq: number, logged: number): OcsfEvent {
  return canonicalCopy(mapped(body, ctx, seq, logged)) as OcsfEvent;
}

export function toRecord(row: RawRow, contexts: ContextTable): AuditRecord {
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
        : mapCompactObject(row[7], contexts.context(row[10]), row[0], row[11] ?? 0),
    prevHash: row[8],
    hash: row[9],
  };
}
