// Row ⇄ AuditRecord conversion shared by query, export and the store.

import type { AuditKind, AuditOutcome, AuditRecord, OcsfEvent } from '../api/audit-types.ts';
import type { ChainRow } from './chain.ts';

export interface StoredRow extends ChainRow {
  hash: string;
}

export const ROW_COLUMNS = 'seq, time, kind, sandbox_id, user, host, outcome, ocsf, prev_hash, hash';

export function toRecord(row: StoredRow): AuditRecord {
  return {
    seq: row.seq,
    time: row.time,
    kind: row.kind as AuditKind,
    sandboxId: row.sandbox_id,
    user: row.user,
    host: row.host,
    outcome: row.outcome as AuditOutcome | null,
    ocsf: JSON.parse(row.ocsf) as OcsfEvent,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
