// The database layout, versioned in the `meta` table. A database written by a newer Warden
// (a higher schema version) is refused with a clear error instead of being misread.
//
// Schema 2 stores the compact record (compact.ts) instead of the OCSF object. A schema 1
// database is migrated in place when it is opened for writing, in O(1): its rows are kept
// byte for byte (the `ocsf` column is renamed `body`, `ctx` and `logged` are added and left
// null), so the hashes, the anchor and anything synced from them stay valid; `legacy_through`
// in `meta` records the last schema 1 row. Read-only, a schema 1 database is read as it is.
//
// Schema 3 replaces the five per-column indexes with the segment index (segments.ts), built
// when a segment of records is complete; migrating from 2 drops the indexes and indexes the
// existing records once (about a second per million). Records are not touched.

import type Database from 'better-sqlite3';
import { AuditSchemaError } from './errors.ts';
import { SEGMENT_TABLES, SegmentWriter } from './segments.ts';

export const SCHEMA_VERSION = 3;

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
`;

// Schema 2's indexes (one per filter column, ending in time), dropped by the move to 3.
const V2_INDEXES = ['records_sandbox', 'records_kind', 'records_host', 'records_outcome', 'records_time'];

// The writers' contexts (OCSF device and Warden version), stored once and referenced by id.
const CONTEXTS =
  'CREATE TABLE IF NOT EXISTS contexts (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE) STRICT;';

// The team hub's sync link (issue 15): the hub it is enrolled with and its position (the last
// seq and hash the hub acknowledged, the last log tree verified), and every receipt. Not part
// of the chain and not hashed; created by every writable open (an older Warden ignores them).
export const SYNC_TABLES = `
CREATE TABLE IF NOT EXISTS sync_link (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  hub_url TEXT NOT NULL,
  hub_key TEXT NOT NULL,
  origin TEXT NOT NULL,
  tls_pin TEXT,
  device_id TEXT NOT NULL,
  acked_seq INTEGER NOT NULL,
  acked_hash TEXT NOT NULL,
  tree_size INTEGER NOT NULL,
  tree_root TEXT NOT NULL,
  stopped TEXT,
  enrolled INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS sync_receipts (
  seq INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  tree_size INTEGER NOT NULL,
  receipt TEXT NOT NULL,
  received INTEGER NOT NULL
) STRICT;
`;

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
  /** Pages are found through the segment index (schema 3); else through per-column indexes. */
  segments: boolean;
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
    return {
      columns: V1_COLUMNS,
      body: 'ocsf',
      legacyThrough: Number.MAX_SAFE_INTEGER,
      contexts: false,
      segments: false,
    };
  }
  const legacyThrough = Number(readMeta(db, 'legacy_through') ?? 0);
  return { columns: V2_COLUMNS, body: 'body', legacyThrough, contexts: true, segments: version >= 3 };
}

function setVersion(db: Database.Database, version: number): void {
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)").run(String(version));
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
    setVersion(db, 2);
  }).immediate();
}

/** Schema 2 → 3: the per-column indexes give way to the segment index of the same records. */
function migrateV2(db: Database.Database): void {
  db.transaction(() => {
    if (readVersion(db) !== 2) return; // another process migrated it meanwhile
    for (const index of V2_INDEXES) db.exec(`DROP INDEX IF EXISTS ${index}`);
    db.exec(SEGMENT_TABLES);
    const head = db.prepare('SELECT max(seq) FROM records').pluck().get() as number | null;
    if (head !== null) new SegmentWriter(db).seal(head);
    setVersion(db, 3);
  }).immediate();
}

/** Create, migrate or check the schema of a writable database; returns how to read it. */
export function migrate(db: Database.Database, file: string): Layout {
  const version = readVersion(db);
  if (version !== null) {
    refuseNewer(version, file);
    if (version === 1) migrateV1(db);
    if (version <= 2) migrateV2(db);
    db.exec(SYNC_TABLES);
    return layoutOf(db, SCHEMA_VERSION);
  }
  // A new file: incremental auto-vacuum lets retention give space back to the disk. Pages stay
  // SQLite's 4 KiB: 16 KiB pages measured no faster for batched appends here, and they make
  // each small commit (the daemon's usual one, a few records) write four times the bytes.
  db.pragma('auto_vacuum = INCREMENTAL');
  db.transaction(() => {
    db.exec(CREATE + CONTEXTS + SEGMENT_TABLES + SYNC_TABLES);
    setVersion(db, SCHEMA_VERSION);
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
