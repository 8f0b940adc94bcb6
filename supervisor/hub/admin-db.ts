// The admin side's SQL over the hub's own database (the same `--db`): one small driver
// interface with `?` placeholders, implemented for SQLite (its own connection; WAL lets it
// share the file) and PostgreSQL (its own small pool). admin-store.ts holds the queries.

import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

export interface AdminDb {
  readonly kind: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Run `fn` in one transaction, serialized against other admin writers. */
  tx<T>(fn: (db: AdminDb) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

class SqliteAdminDb implements AdminDb {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('busy_timeout = 5000');
  }

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.#db.prepare(sql).all(...params) as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return this.#db.prepare(sql).run(...params).changes;
  }

  tx<T>(fn: (db: AdminDb) => Promise<T>): Promise<T> {
    const next = this.#queue.then(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(this);
        this.#db.exec('COMMIT');
        return out;
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      }
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

class PgAdminDb implements AdminDb {
  readonly kind = 'postgres' as const;
  constructor(readonly q: pg.Pool | pg.PoolClient) {}

  async all<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.q.query(numbered(sql), params as unknown[])).rows as T[];
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.q.query(numbered(sql), params as unknown[])).rowCount ?? 0;
  }

  async tx<T>(fn: (db: AdminDb) => Promise<T>): Promise<T> {
    const client = await (this.q as pg.Pool).connect();
    try {
      await client.query('BEGIN');
      // One admin writer at a time across hub processes (the action chain needs it).
      await client.query("SELECT pg_advisory_xact_lock(hashtext('warden_hub_admin'))");
      const out = await fn(new PgAdminDb(client));
      await client.query('COMMIT');
      return out;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await (this.q as pg.Pool).end();
  }
}

/** The page indexes: one per filter column, each in the keyset order (admin-events.ts pages with them). */
export const PAGE_INDEXES: ReadonlyArray<[name: string, columns: string]> = [
  ['records_page', 'time, device, seq'],
  ['records_device_page', 'device, time, seq'],
  ['records_kind_page', 'kind, time, device, seq'],
  ['records_host_page', 'host, time, device, seq'],
  ['records_user_page', '"user", time, device, seq'],
  ['records_outcome_page', 'outcome, time, device, seq'],
  ['records_sandbox_page', 'sandbox_id, time, device, seq'],
];

const SCHEMA = (pgsql: boolean) => {
  const id = pgsql ? 'bigserial PRIMARY KEY' : 'INTEGER PRIMARY KEY';
  const int = pgsql ? 'bigint' : 'INTEGER';
  return [
    'CREATE TABLE IF NOT EXISTS hub_admins (name TEXT PRIMARY KEY, hash TEXT NOT NULL, created ' +
      `${int} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS hub_admin_actions (id ${id}, at ${int} NOT NULL, admin TEXT NOT NULL, ` +
      'action TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)',
    `CREATE TABLE IF NOT EXISTS hub_alert_acks (alert ${int} PRIMARY KEY, admin TEXT NOT NULL, note TEXT NOT NULL, ` +
      `at ${int} NOT NULL)`,
    // Shared by every hub process on this database (admin-auth.ts): only hashes of tokens and keys.
    `CREATE TABLE IF NOT EXISTS hub_admin_sessions (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, created ${int} NOT NULL, ` +
      `expires ${int} NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS hub_signin_failures (key TEXT NOT NULL, at ${int} NOT NULL)`,
    'CREATE INDEX IF NOT EXISTS hub_signin_failures_key ON hub_signin_failures (key, at)',
    `CREATE TABLE IF NOT EXISTS hub_spot_checks (id ${id}, device TEXT NOT NULL, seqs TEXT NOT NULL, admin TEXT NOT NULL, ` +
      `requested ${int} NOT NULL, resolved ${int}, first_divergent ${int})`,
    'CREATE INDEX IF NOT EXISTS hub_spot_checks_device ON hub_spot_checks (device, id)',
    // Key rotations IT asked for (rotation.ts): done is set when the device registered its new key.
    `CREATE TABLE IF NOT EXISTS hub_key_rotations (id ${id}, device TEXT NOT NULL, admin TEXT NOT NULL, ` +
      `requested ${int} NOT NULL, done ${int}, old_key TEXT NOT NULL, new_key TEXT)`,
    'CREATE INDEX IF NOT EXISTS hub_key_rotations_device ON hub_key_rotations (device, id)',
  ];
};

/** The admin driver for the hub database named by `--db` (the hub's store created its tables). */
export async function openAdminDb(db: string, home: string): Promise<AdminDb> {
  let out: AdminDb;
  if (db.startsWith('sqlite:')) out = new SqliteAdminDb(path.resolve(home, db.slice('sqlite:'.length)));
  else {
    const pool = new pg.Pool({ connectionString: db, max: 4 });
    // An idle connection the server dropped is replaced on the next query; do not crash.
    pool.on('error', () => undefined);
    out = new PgAdminDb(pool);
  }
  for (const sql of SCHEMA(out.kind === 'postgres')) await out.run(sql);
  // The events page's keyset order, overall and per filter column, once the hub's store made `records`
  // (`warden hub admin create` may run before the hub ever did).
  const exists =
    out.kind === 'sqlite'
      ? await out.all("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'")
      : await out.all("SELECT 1 FROM pg_class WHERE relname = 'records' AND relkind IN ('r', 'p')");
  if (exists.length) {
    for (const [name, columns] of PAGE_INDEXES)
      await out.run(`CREATE INDEX IF NOT EXISTS ${name} ON records (${columns})`);
  }
  return out;
}
