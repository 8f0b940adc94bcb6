// Verify and export of the audit trail as long work (issue 20): each runs as a task
// (`audit.verify`, `audit.export`) in worker threads, with progress (records checked or
// written of the total) and a cancel; its result is fetched by task id once it has ended.
// A verify asked for while one runs joins it (`joined: true`): one chain, one answer.

import { type Static, Type } from '@sinclair/typebox';
import type { AuditChainStatus } from './audit-types.ts';
import type { TaskState } from './tasks.ts';

export const AUDIT_EXPORT_FORMATS = ['ocsf', 'ocsf-ndjson', 'jsonl'] as const;

/** `POST /v1/audit/export`: what to write. The daemon picks the file (under its home's `exports/`). */
export const AuditExportRequestSchema = Type.Object(
  {
    format: Type.Union(AUDIT_EXPORT_FORMATS.map((f) => Type.Literal(f))),
    /** Only records at or after this time (ISO-8601, or 30m, 1h, 7d ago). */
    since: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type AuditExportRequest = Static<typeof AuditExportRequestSchema>;

export interface AuditTaskStarted {
  taskId: string;
  /** The verify was already running: this is its task. */
  joined?: boolean;
}

/** `GET /v1/audit/verify/:taskId`: the chain's status once the task is done. */
export interface AuditVerifyResult {
  taskId: string;
  state: TaskState;
  status?: AuditChainStatus;
  error?: string;
}

/** `GET /v1/audit/export/:taskId`: where the file is once the task is done. */
export interface AuditExportResult {
  taskId: string;
  state: TaskState;
  format: (typeof AUDIT_EXPORT_FORMATS)[number];
  /** The complete file (absent until done: a cancelled or failed export leaves none). */
  file?: string;
  records?: number;
  error?: string;
}
