// Opening the audit database: the store's options, the SQLite pragmas they set, schema
// migration (or the read-only check, both returning the layout to read), and this machine
// as the OCSF device.

import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import os from 'node:os';
import Database from 'better-sqlite3';
import type { DeviceInfo } from './ocsf.ts';
import { checkReadable, type Layout, migrate } from './schema.ts';

/**
 * `durable`: synchronous=FULL, the WAL is fsynced at every commit; an acknowledged record
 * survives a crash of the process and of the machine. `normal`: synchronous=NORMAL, an
 * acknowledged record survives a crash of the process (kill -9) but the last commits may be
 * lost on power loss.
 */
export type Durability = 'durable' | 'normal';

export interface AuditStoreOptions {
  durability?: Durability;
  /** Open for reading only (the CLI); every write method throws. */
  readOnly?: boolean;
  /** How long a write waits for another writer's lock before failing (ms). Default 2000. */
  busyTimeoutMs?: number;
  /** OCSF `device`; defaults to this machine. */
  device?: DeviceInfo;
  /** Warden version for OCSF metadata.product.version. */
  version?: string;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
  /** Called when `fault` changes: a message when writes start failing, null when they recover. */
  onFault?: (fault: string | null) => void;
  /** Called with non-fatal warnings (e.g. an anchor file had to be recreated). */
  onWarning?: (message: string) => void;
  /** SQLite `max_page_count`: caps the database size (tests use it to simulate a full disk). */
  maxPageCount?: number;
  /**
   * Worker threads verify uses on a large chain (default one per core, at most 4; 0 = verify
   * on the calling thread only), and from how many records on (default 50,000).
   */
  verifyThreads?: number;
  verifyParallelMin?: number;
}

const OS_TYPES: Record<string, [string, number]> = {
  linux: ['Linux', 200],
  win32: ['Windows', 100],
  darwin: ['macOS', 300],
};

export function localDevice(): DeviceInfo {
  const [type, typeId] = OS_TYPES[process.platform] ?? ['Other', 99];
  return { hostname: os.hostname(), os: { name: os.type(), type, type_id: typeId, version: os.release() } };
}

/**
 * Make the database owner-only before SQLite opens it: create it 0600 when absent, tighten
 * it and its -wal/-shm when looser (an older Warden left them 0644). SQLite creates the WAL
 * and shared-memory files with the database file's mode, so new ones are 0600 too.
 */
export function ownerOnlyDatabase(dbPath: string): void {
  closeSync(openSync(dbPath, 'a', 0o600));
  if (process.platform === 'win32') return;
  for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, `${dbPath}-journal`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** Open (creating when absent, unless read-only) the database at `dbPath` and apply the pragmas. */
export function openDatabase(
  dbPath: string,
  options: AuditStoreOptions,
): { db: Database.Database; layout: Layout } {
  const readOnly = options.readOnly ?? false;
  if (!readOnly) ownerOnlyDatabase(dbPath);
  const db = new Database(dbPath, { readonly: readOnly, fileMustExist: readOnly });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 2000))}`);
    let layout: Layout;
    if (readOnly) {
      layout = checkReadable(db, dbPath);
    } else {
      layout = migrate(db, dbPath);
      db.pragma('journal_mode = WAL');
      // Statement journals in memory: every multi-row INSERT opens one, and on disk (SQLite's
      // default) they were more write calls than the WAL itself (strace of a batched append).
      db.pragma('temp_store = MEMORY');
      db.pragma(`synchronous = ${(options.durability ?? 'durable') === 'durable' ? 'FULL' : 'NORMAL'}`);
      if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${options.maxPageCount}`);
      // Keep the planner's statistics fresh (cheap: bounded analysis), so combined filters
      // pick the most selective index.
      db.pragma('analysis_limit = 1000');
      db.pragma('optimize = 0x10002');
    }
    return { db, layout };
  } catch (error) {
    db.close();
    throw error;
  }
}
