// The database layout, versioned in the `meta` table. A database written by a newer Warden
// (a higher schema version) is refused with a clear error instead of being misread.

import type Database from 'better-sqlite3';
import { AuditSchemaError } from './errors.ts';

export const SCHEMA_VERSION = 1;

const CREATE = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  sandbox_id TEXT,
  user TEXT NOT NULL,
  host TEXT,
  outcome TEXT,
  ocsf TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
-- Pages are ordered by (time, seq); every index ends with time, and SQLite appends the rowid
-- (seq), so a filtered page is one index range scan.
CREATE INDEX IF NOT EXISTS records_sandbox ON records (sandbox_id, time);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, time);
CREATE INDEX IF NOT EXISTS records_host ON records (host, time);
CREATE INDEX IF NOT EXISTS records_outcome ON records (outcome, time);
CREATE INDEX IF NOT EXISTS records_time ON records (time);
`;

function readVersion(db: Database.Database): number | null {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return null;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    | { value: string }
    | undefined;
  return row ? Number(row.value) : null;
}

function refuseNewer(version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new AuditSchemaError(
      `audit database ${file} has schema version ${version}; this Warden understands up to ${SCHEMA_VERSION}. ` +
        'Upgrade Warden to read it (the file was left untouched).',
    );
  }
}

/** Create or check the schema of a writable database. */
export function migrate(db: Database.Database, file: string): void {
  const version = readVersion(db);
  if (version !== null) {
    refuseNewer(version, file);
    return;
  }
  // A new file: incremental auto-vacuum lets retention give space back to the disk.
  db.pragma('auto_vacuum = INCREMENTAL');
  db.transaction(() => {
    db.exec(CREATE);
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(
      String(SCHEMA_VERSION),
    );
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('created', ?)").run(new Date().toISOString());
  }).immediate();
}

/** Check the schema of a database opened read-only. */
export function checkReadable(db: Database.Database, file: string): void {
  const version = readVersion(db);
  if (version === null) {
    throw new AuditSchemaError(`${file} is not a Warden audit database (no schema version)`);
  }
  refuseNewer(version, file);
}
