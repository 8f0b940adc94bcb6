// The database layout, versioned in the `meta` table. A database written by a newer Warden
// (a higher schema version) is refused with a clear error instead of being misread.
//
// Schema 2 stores the compact record (compact.ts) instead of the OCSF object. A schema 1
// database is migrated in place when it is opened for writing, in O(1): its rows are kept
// byte for byte (the `ocsf` column is renamed `body`, `ctx` and `logged` are added and left
// null), so the hashes, the anchor and anything synced from them stay valid; `legacy_through`
// in `meta` records the last schema 1 row. Read-only, a schema 1 database is read as it is.

import type Database from 'better-sqlite3';
import { AuditSchemaError } from './errors.ts';

export const SCHEMA_VERSION = 2;

// Column order is the same for a new database and a migrated one (new columns last).
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
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  ctx INTEGER,
  logged INTEGER
) STRICT;
-- Pages are ordered by (time, seq); every index ends with time, and SQLite appends the rowid
-- (seq), so a filtered page is one index range scan.
CREATE INDEX IF NOT EXISTS records_sandbox ON records (sandbox_id, time);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, time);
CREATE INDEX IF NOT EXISTS records_host ON records (host, time);
CREATE INDEX IF NOT EXISTS records_outcome ON records (outcome, time);
CREATE INDEX IF NOT EXISTS records_time ON records (time);
`;

// The writers' contexts (OCSF device and Warden version), stored once and referenced by id.
const CONTEXTS =
  'CREATE TABLE IF NOT EXISTS contexts (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE) STRICT;';

/** How records are read from this database. */
export interface Layout {
  /** The select list of a record, in RawRow order (records.ts). */
  columns: string;
  /** The column holding the record's JSON (`ocsf` in an unmigrated schema 1 database). */
  body: 'body' | 'ocsf';
  /** Records up to this seq are schema 1 rows (0: none). */
  legacyThrough: number;
  /** The database has a `contexts` table (schema 2). */
  contexts: boolean;
}

const V2_COLUMNS = 'seq, time, kind, sandbox_id, user, host, outcome, body, prev_hash, hash, ctx, logged';
const V1_COLUMNS = 'seq, time, kind, sandbox_id, user, host, outcome, ocsf, prev_hash, hash, NULL, NULL';

function readMeta(db: Database.Database, key: string): string | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? row.value : null;
}

function readVersion(db: Database.Database): number | null {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return null;
  const value = readMeta(db, 'schema_version');
  return value === null ? null : Number(value);
}

function refuseNewer(version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new AuditSchemaError(
      `audit database ${file} has schema version ${version}; this Warden understands up to ${SCHEMA_VERSION}. ` +
        'Upgrade Warden to read it (the file was left untouched).',
    );
  }
}

function layoutOf(db: Database.Database, version: number): Layout {
  if (version < 2) {
    return { columns: V1_COLUMNS, body: 'ocsf', legacyThrough: Number.MAX_SAFE_INTEGER, contexts: false };
  }
  const legacyThrough = Number(readMeta(db, 'legacy_through') ?? 0);
  return { columns: V2_COLUMNS, body: 'body', legacyThrough, contexts: true };
}

function setVersion(db: Database.Database): void {
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(
    String(SCHEMA_VERSION),
  );
}

/** Schema 1 → 2 in place: no row is rewritten. */
function migrateV1(db: Database.Database): void {
  db.transaction(() => {
    if (readVersion(db) !== 1) return; // another process migrated it meanwhile
    db.exec('ALTER TABLE records RENAME COLUMN ocsf TO body');
    db.exec('ALTER TABLE records ADD COLUMN ctx INTEGER');
    db.exec('ALTER TABLE records ADD COLUMN logged INTEGER');
    db.exec(CONTEXTS);
    const last = db.prepare('SELECT max(seq) FROM records').pluck().get() as number | null;
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('legacy_through', ?)").run(
      String(last ?? 0),
    );
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('migrated', ?)").run(
      new Date().toISOString(),
    );
    setVersion(db);
  }).immediate();
}

/** Create, migrate or check the schema of a writable database; returns how to read it. */
export function migrate(db: Database.Database, file: string): Layout {
  const version = readVersion(db);
  if (version !== null) {
    refuseNewer(version, file);
    if (version === 1) migrateV1(db);
    return layoutOf(db, SCHEMA_VERSION);
  }
  // A new file: incremental auto-vacuum lets retention give space back to the disk.
  db.pragma('auto_vacuum = INCREMENTAL');
  db.transaction(() => {
    db.exec(CREATE + CONTEXTS);
    setVersion(db);
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('legacy_through', '0')").run();
    db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('created', ?)").run(new Date().toISOString());
  }).immediate();
  return layoutOf(db, SCHEMA_VERSION);
}

/** Check the schema of a database opened read-only; returns how to read it. */
export function checkReadable(db: Database.Database, file: string): Layout {
  const version = readVersion(db);
  if (version === null) {
    throw new AuditSchemaError(`${file} is not a Warden audit database (no schema version)`);
  }
  refuseNewer(version, file);
  return layoutOf(db, version);
}
