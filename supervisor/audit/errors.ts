// Named errors of the audit store. They cross the API boundary by name.

/** A record could not be written. The event is NOT recorded; the caller must fail closed. */
export class AuditWriteError extends Error {
  /** SQLite or system error code, e.g. SQLITE_FULL, SQLITE_BUSY, ENOSPC. */
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditWriteError';
    this.code = code;
  }
}

/** The database file has a layout this version does not understand, or is not an audit database. */
export class AuditSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditSchemaError';
  }
}

/** Retention refused to prune because the records it would remove do not verify. */
export class AuditRetentionError extends Error {
  readonly seq: number;
  constructor(message: string, seq: number) {
    super(message);
    this.name = 'AuditRetentionError';
    this.seq = seq;
  }
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** A message naming the cause and what to do, for `store.fault` and AuditWriteError. */
export function describeWriteFailure(error: unknown, file: string): AuditWriteError {
  const code = codeOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  let message: string;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'SQLITE_IOERR_WRITE') {
    message =
      `audit trail cannot be written: the disk (or database size limit) is full (${code}: ${detail}). ` +
      `Free space on the volume holding ${file}, or prune old records with retention; ` +
      'until then every governed request is denied.';
  } else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    message =
      `audit trail cannot be written: ${file} is locked by another process (${code}: ${detail}). ` +
      'Find the process holding it (e.g. `fuser` on the file) and end it; ' +
      'until then every governed request is denied.';
  } else if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY') || code === 'EACCES') {
    message =
      `audit trail cannot be written: ${file} is read-only (${code}: ${detail}). ` +
      'Check the permissions of the file and its folder; until then every governed request is denied.';
  } else {
    message =
      `audit trail cannot be written to ${file} (${code}: ${detail}). ` +
      'Check the disk and the file; until then every governed request is denied.';
  }
  return new AuditWriteError(message, code, { cause: error });
}
