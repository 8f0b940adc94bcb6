// The embedded store: one SQLite file (better-sqlite3, WAL, fsync per commit). Transactions
// take SQLite's write lock (BEGIN IMMEDIATE), which also serializes hub processes sharing
// the file; inside one process they queue on a promise chain, since better-sqlite3 has one
// connection and an ingest awaits between its statements.

import Database from 'better-sqlite3';
import { WardenError } from '../api/errors.ts';
import type { HubAlertKind, HubHead, HubLeaf, HubRecord } from '../api/hub.ts';
import type { NodeId } from '../tlog/merkle.ts';
import {
  type DeviceColumns,
  deviceFromRow,
  type ExportColumns,
  exportFromRow,
  GAP_SELECT,
  newDeviceInsert,
  newDeviceValues,
  type RecordArray,
  recordFromArray,
  recordValues,
} from './rows.ts';
import { SQLITE_SCHEMA, sqliteLogTx } from './sqlite-log.ts';
import type {
  AlertRow,
  DeviceRow,
  EnrollOutcome,
  ExportProgress,
  ExportTargetRow,
  GapRow,
  HubLogTx,
  HubStore,
  HubTx,
  NewAlert,
  NewDevice,
  NewExportTarget,
  RetainedRow,
  RetentionReport,
  StoredCheckpoint,
} from './store.ts';
import { NONCE_PRUNE_EVERY_SEC, nodeKey } from './store.ts';

/** Rows per INSERT statement (14 parameters each; fewer statements than one per row). */
const INSERT_ROWS = 64;

function insertRecordSql(rows: number): string {
  const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  return (
    'INSERT INTO records (device, seq, time, kind, sandbox_id, user, host, outcome, body, ctx, logged, prev_hash, hash, received) ' +
    `VALUES ${values} ON CONFLICT DO NOTHING`
  );
}

export class SqliteHubStore implements HubStore {
  readonly kind = 'sqlite' as const;
  readonly groupsAppends = false;
  readonly #db: Database.Database;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #inserts = new Map<number, Database.Statement>();
  #recordsPage: Database.Statement | null = null;
  #pruned = 0;

  constructor(file: string) {
    this.#db = new Database(file, { timeout: 5000 });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.exec(SQLITE_SCHEMA);
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
    this.#db.close();
  }

  #insert(rows: number): Database.Statement {
    let statement = this.#inserts.get(rows);
    if (!statement) {
      statement = this.#db.prepare(insertRecordSql(rows));
      this.#inserts.set(rows, statement);
    }
    return statement;
  }

  /** Run `fn` in BEGIN IMMEDIATE … COMMIT, one at a time in this process. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn();
        this.#db.exec('COMMIT');
        return out;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  claimLogKey(verifierKey: string): Promise<string> {
    return this.#serial(async () => {
      this.#db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('log_key', ?)").run(verifierKey);
      return this.#db.prepare("SELECT value FROM meta WHERE key = 'log_key'").pluck().get() as string;
    });
  }

  addToken(hash: string, createdAt: number, expiresAt: number): Promise<void> {
    return this.#serial(async () => {
      this.#db
        .prepare('INSERT INTO tokens (hash, created, expires) VALUES (?, ?, ?)')
        .run(hash, createdAt, expiresAt);
    });
  }

  enroll(tokenHash: string, now: number, d: NewDevice): Promise<EnrollOutcome> {
    return this.#serial(async () => {
      const token = this.#db.prepare('SELECT expires, spent FROM tokens WHERE hash = ?').get(tokenHash) as
        | { expires: number; spent: number | null }
        | undefined;
      if (!token) return 'unknown-token';
      if (token.spent !== null) return 'spent-token';
      if (token.expires <= now) return 'expired-token';
      this.#db.prepare('UPDATE tokens SET spent = ?, device = ? WHERE hash = ?').run(now, d.id, tokenHash);
      this.#db.prepare(newDeviceInsert(() => '?')).run(...newDeviceValues(d));
      return 'ok';
    });
  }

  async device(id: string): Promise<DeviceRow | undefined> {
    const row = this.#db.prepare('SELECT * FROM devices WHERE id = ?').get(id) as DeviceColumns | undefined;
    return row ? deviceFromRow(row) : undefined;
  }

  async devices(): Promise<DeviceRow[]> {
    return (this.#db.prepare('SELECT * FROM devices ORDER BY enrolled_at, id').all() as DeviceColumns[]).map(
      deviceFromRow,
    );
  }

  revoke(id: string, at: number): Promise<boolean> {
    return this.#serial(
      async () =>
        this.#db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id)
          .changes > 0,
    );
  }

  touch(id: string, at: number, backlog: number | null): Promise<void> {
    return this.#serial(async () => {
      this.#db
        .prepare('UPDATE devices SET last_seen = ?, backlog = coalesce(?, backlog) WHERE id = ?')
        .run(at, backlog, id);
    });
  }

  spendNonce(device: string, nonce: string, created: number, forgetBefore: number): Promise<boolean> {
    return this.#serial(async () => {
      if (forgetBefore - this.#pruned >= NONCE_PRUNE_EVERY_SEC) {
        this.#pruned = forgetBefore;
        this.#db.prepare('DELETE FROM nonces WHERE created < ?').run(forgetBefore);
      }
      return (
        this.#db
          .prepare('INSERT INTO nonces (device, nonce, created) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
          .run(device, nonce, created).changes === 1
      );
    });
  }

  transaction<T>(deviceId: string, fn: (tx: HubTx) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      const db = this.#db;
      const row = db.prepare('SELECT * FROM devices WHERE id = ?').get(deviceId) as DeviceColumns | undefined;
      const insertRecords = async (records: readonly HubRecord[], received: number) => {
        let added = 0;
        for (let i = 0; i < records.length; i += INSERT_ROWS) {
          const chunk = records.slice(i, i + INSERT_ROWS);
          const params = chunk.flatMap((r) => [deviceId, ...recordValues(r), received]);
          added += this.#insert(chunk.length).run(...params).changes;
        }
        return added;
      };
      const setHead = async (head: HubHead) => {
        db.prepare('UPDATE devices SET head_seq = ?, head_hash = ? WHERE id = ?').run(
          head.seq,
          head.hash,
          deviceId,
        );
      };
      const tx: HubTx = {
        device: row ? deviceFromRow(row) : undefined,
        gapBefore: async (seq) =>
          db.prepare(`${GAP_SELECT} WHERE device = ? AND through_seq = ?`).get(deviceId, seq - 1) as
            | GapRow
            | undefined,
        hashes: async (from, to) => this.#hashes(deviceId, from, to),
        insertRecords,
        advance: async (records, received, head) => {
          const added = await insertRecords(records, received);
          await setHead(head);
          return added;
        },
        quarantine: async (records, reason, at) => {
          const insert = db.prepare(
            'INSERT INTO quarantine (device, seq, record, reason, at) VALUES (?, ?, ?, ?, ?)',
          );
          for (const r of records) insert.run(deviceId, r.seq, JSON.stringify(r), reason, at);
        },
        alert: async (a) => this.#insertAlert(a),
        setHead,
        setChallenge: async (seqs) => {
          db.prepare('UPDATE devices SET challenge = ? WHERE id = ?').run(
            seqs ? JSON.stringify(seqs) : null,
            deviceId,
          );
        },
        leafIndex: async (seq) => {
          const r = db
            .prepare('SELECT idx FROM tlog_leaves WHERE device = ? AND seq = ? ORDER BY idx LIMIT 1')
            .get(deviceId, seq) as { idx: number } | undefined;
          return r?.idx;
        },
        ...this.#logTx(),
      };
      return fn(tx);
    });
  }

  logTransaction<T>(fn: (tx: HubLogTx) => Promise<T>): Promise<T> {
    return this.#serial(() => fn(this.#logTx()));
  }

  #logTx(): HubLogTx {
    return sqliteLogTx(this.#db, this);
  }

  async placeRecords(): Promise<number> {
    return 0;
  }

  async retain(): Promise<RetentionReport> {
    throw new WardenError(
      'BadRequest',
      'retention by month partitions needs the PostgreSQL store',
      'Run the hub with --db postgres://… to use --retain-months.',
    );
  }

  async retained(): Promise<RetainedRow[]> {
    return [];
  }

  flagDefaultPartition(device: string): Promise<void> {
    return this.#serial(async () => {
      this.#db.prepare('UPDATE devices SET default_partition = 1 WHERE id = ?').run(device);
    });
  }

  #hashes(device: string, from: number, to: number): Map<number, string> {
    const rows = this.#db
      .prepare('SELECT seq, hash FROM records WHERE device = ? AND seq BETWEEN ? AND ?')
      .raw(true)
      .all(device, from, to) as Array<[number, string]>;
    return new Map(rows);
  }

  declareGap(g: GapRow): Promise<boolean> {
    return this.#serial(async () => {
      const r = this.#db
        .prepare(
          'INSERT INTO gaps (device, from_seq, through_seq, last_hash, checkpoint_seq, at) VALUES (?, ?, ?, ?, ?, ?) ' +
            'ON CONFLICT (device, through_seq) DO UPDATE SET from_seq = excluded.from_seq, last_hash = excluded.last_hash, ' +
            'checkpoint_seq = excluded.checkpoint_seq, at = excluded.at ' +
            'WHERE gaps.last_hash <> excluded.last_hash OR gaps.checkpoint_seq <> excluded.checkpoint_seq',
        )
        .run(g.device, g.fromSeq, g.throughSeq, g.lastHash, g.checkpointSeq, g.at);
      return r.changes > 0;
    });
  }

  async gaps(device: string): Promise<GapRow[]> {
    return this.#db.prepare(`${GAP_SELECT} WHERE device = ? ORDER BY through_seq`).all(device) as GapRow[];
  }

  alert(a: NewAlert): Promise<void> {
    return this.#serial(async () => this.#insertAlert(a));
  }

  #insertAlert(a: NewAlert): void {
    this.#db
      .prepare('INSERT INTO alerts (device, kind, seq, message, at) VALUES (?, ?, ?, ?, ?)')
      .run(a.device, a.kind, a.seq, a.message, a.at);
  }

  async alerts(device?: string): Promise<AlertRow[]> {
    const sql = `SELECT id, device, kind, seq, message, at FROM alerts ${device ? 'WHERE device = ?' : ''} ORDER BY id`;
    return this.#db.prepare(sql).all(...(device ? [device] : [])) as AlertRow[];
  }

  async hasAlert(device: string, kind: HubAlertKind, since: number): Promise<boolean> {
    return (
      this.#db
        .prepare('SELECT 1 FROM alerts WHERE device = ? AND kind = ? AND at >= ? LIMIT 1')
        .get(device, kind, since) !== undefined
    );
  }

  async hashesAt(device: string, seqs: readonly number[]): Promise<Map<number, string>> {
    const get = this.#db.prepare('SELECT hash FROM records WHERE device = ? AND seq = ?').pluck();
    const out = new Map<number, string>();
    for (const seq of seqs) {
      const hash = get.get(device, seq) as string | undefined;
      if (hash !== undefined) out.set(seq, hash);
    }
    return out;
  }

  async quarantined(device: string): Promise<HubRecord[]> {
    return (
      this.#db
        .prepare('SELECT record FROM quarantine WHERE device = ? ORDER BY id')
        .pluck()
        .all(device) as string[]
    ).map((t) => JSON.parse(t) as HubRecord);
  }

  async checkpoint(size?: number): Promise<StoredCheckpoint | undefined> {
    const row = (
      size === undefined
        ? this.#db.prepare('SELECT size, root, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1').get()
        : this.#db.prepare('SELECT size, root, note FROM tlog_checkpoints WHERE size = ?').get(size)
    ) as StoredCheckpoint | undefined;
    return row;
  }

  async nodes(ids: readonly NodeId[]): Promise<Map<string, Buffer>> {
    const get = this.#db.prepare('SELECT hash FROM tlog_nodes WHERE level = ? AND idx = ?').pluck();
    const out = new Map<string, Buffer>();
    for (const id of ids) {
      const hash = get.get(id.level, id.index) as Buffer | undefined;
      if (hash) out.set(nodeKey(id), hash);
    }
    return out;
  }

  async leaves(from: number, to: number): Promise<HubLeaf[]> {
    return this.#db
      .prepare('SELECT device, seq, hash, received FROM tlog_leaves WHERE idx >= ? AND idx < ? ORDER BY idx')
      .all(from, to) as HubLeaf[];
  }

  async records(device: string, afterSeq: number, limit: number): Promise<HubRecord[]> {
    // Rows as arrays from one prepared statement (the exporters read thousands a second).
    this.#recordsPage ??= this.#db
      .prepare(
        'SELECT seq, time, kind, sandbox_id, user, host, outcome, body, ctx, logged, prev_hash, hash FROM records ' +
          'WHERE device = ? AND seq > ? ORDER BY seq LIMIT ?',
      )
      .raw(true);
    return (this.#recordsPage.all(device, afterSeq, limit) as RecordArray[]).map(recordFromArray);
  }

  async exportTargets(): Promise<ExportTargetRow[]> {
    return (this.#db.prepare('SELECT * FROM exports ORDER BY name').all() as ExportColumns[]).map(
      exportFromRow,
    );
  }

  addExportTarget(t: NewExportTarget): Promise<boolean> {
    return this.#serial(
      async () =>
        this.#db
          .prepare(
            'INSERT INTO exports (name, kind, target, token_file, created) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
          )
          .run(t.name, t.kind, t.target, t.tokenFile, t.created).changes > 0,
    );
  }

  removeExportTarget(name: string): Promise<boolean> {
    return this.#serial(
      async () => this.#db.prepare('DELETE FROM exports WHERE name = ?').run(name).changes > 0,
    );
  }

  saveExportProgress(name: string, p: ExportProgress): Promise<void> {
    return this.#serial(async () => {
      this.#db
        .prepare(
          'UPDATE exports SET cursor = ?, exported = ?, last_error = ?, last_attempt = ?, last_success = ? WHERE name = ?',
        )
        .run(JSON.stringify(p.cursor), p.exported, p.lastError, p.lastAttempt, p.lastSuccess, name);
    });
  }
}
