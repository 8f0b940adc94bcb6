// The team store: PostgreSQL through node-postgres. Stateless over the database, so several
// hub processes can share it: an ingest locks its device row (SELECT … FOR UPDATE) for the
// continuity check and the Merkle log's state row (always second) for the append.

import pg from 'pg';
import { WardenError } from '../api/errors.ts';
import type { HubAlertKind, HubLeaf, HubRecord } from '../api/hub.ts';
import type { NodeId } from '../tlog/merkle.ts';
import { dropOldPartitions, RETAINED_SELECT, retentionCutoff } from './pg-retention.ts';
import { ensurePartitions, inPartitionWindow, migratePg, monthOf } from './pg-schema.ts';
import { deviceTx, insertAlert, logTx, readNodes } from './pg-tx.ts';
import {
  type DeviceColumns,
  deviceFromRow,
  type ExportColumns,
  exportFromRow,
  GAP_SELECT,
  newDeviceInsert,
  newDeviceValues,
  type RecordColumns,
  recordFromRow,
} from './rows.ts';
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
import { NONCE_PRUNE_EVERY_SEC } from './store.ts';

// BIGINT columns as numbers: every value the hub stores (seqs, epoch ms, sizes) is a safe integer.
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

const RECORD_SELECT =
  'SELECT seq, time, kind, sandbox_id, "user", host, outcome, body, ctx, logged, prev_hash, hash FROM records';

export class PgHubStore implements HubStore {
  readonly kind = 'postgres' as const;
  readonly groupsAppends = true;
  readonly #pool: pg.Pool;
  readonly #partitions = new Set<string>();
  /** Months before this instant are past retention: their records go to the default partition. */
  #retainedBefore = Number.NEGATIVE_INFINITY;
  #pruned = 0;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  static async open(url: string, max = 20): Promise<PgHubStore> {
    const pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 10_000 });
    pool.on('error', () => undefined); // an idle client's error: the next query reports it
    try {
      await migratePg(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PgHubStore(pool);
  }

  close(): Promise<void> {
    return this.#pool.end();
  }

  /** A pooled query; a pool that stays exhausted is a busy hub (429: the device backs off). */
  async #query(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.#pool.query(sql, params);
    } catch (error) {
      throw busy(error);
    }
  }

  /** `begin` false: `fn`'s first statement opens the transaction (beginWith). */
  async #tx<T>(fn: (c: pg.PoolClient) => Promise<T>, begin = true): Promise<T> {
    const client = await this.#pool.connect().catch((error: unknown) => {
      throw busy(error);
    });
    try {
      if (begin) await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async claimLogKey(verifierKey: string): Promise<string> {
    await this.#query("INSERT INTO hub_meta (key, value) VALUES ('log_key', $1) ON CONFLICT DO NOTHING", [
      verifierKey,
    ]);
    return (
      (await this.#query("SELECT value FROM hub_meta WHERE key = 'log_key'")).rows[0] as {
        value: string;
      }
    ).value;
  }

  async addToken(hash: string, createdAt: number, expiresAt: number): Promise<void> {
    await this.#query('INSERT INTO tokens (hash, created, expires) VALUES ($1, $2, $3)', [
      hash,
      createdAt,
      expiresAt,
    ]);
  }

  enroll(tokenHash: string, now: number, d: NewDevice): Promise<EnrollOutcome> {
    return this.#tx(async (c) => {
      const token = (
        await c.query('SELECT expires, spent FROM tokens WHERE hash = $1 FOR UPDATE', [tokenHash])
      ).rows[0] as { expires: number; spent: number | null } | undefined;
      if (!token) return 'unknown-token';
      if (token.spent !== null) return 'spent-token';
      if (token.expires <= now) return 'expired-token';
      await c.query('UPDATE tokens SET spent = $1, device = $2 WHERE hash = $3', [now, d.id, tokenHash]);
      await c.query(
        newDeviceInsert((n) => `$${n}`),
        newDeviceValues(d),
      );
      return 'ok';
    });
  }

  async device(id: string): Promise<DeviceRow | undefined> {
    const row = (await this.#query('SELECT * FROM devices WHERE id = $1', [id])).rows[0] as
      | DeviceColumns
      | undefined;
    return row ? deviceFromRow(row) : undefined;
  }

  async devices(): Promise<DeviceRow[]> {
    return (
      (await this.#query('SELECT * FROM devices ORDER BY enrolled_at, id')).rows as DeviceColumns[]
    ).map(deviceFromRow);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.#query('UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [
      at,
      id,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  async touch(id: string, at: number, backlog: number | null): Promise<void> {
    await this.#query('UPDATE devices SET last_seen = $1, backlog = coalesce($2, backlog) WHERE id = $3', [
      at,
      backlog,
      id,
    ]);
  }

  async spendNonce(device: string, nonce: string, created: number, forgetBefore: number): Promise<boolean> {
    if (forgetBefore - this.#pruned >= NONCE_PRUNE_EVERY_SEC) {
      this.#pruned = forgetBefore;
      await this.#query('DELETE FROM nonces WHERE created < $1', [forgetBefore]);
    }
    const r = await this.#query(
      'INSERT INTO nonces (device, nonce, created) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [device, nonce, created],
    );
    return r.rowCount === 1;
  }

  /** BEGIN travels with the device row's lock (pg-tx.ts). */
  transaction<T>(deviceId: string, fn: (tx: HubTx) => Promise<T>): Promise<T> {
    return this.#tx(async (c) => fn(await deviceTx(c, deviceId)), false);
  }

  logTransaction<T>(fn: (tx: HubLogTx) => Promise<T>): Promise<T> {
    return this.#tx((c) => fn(logTx(c, true)), false);
  }

  async placeRecords(times: readonly number[], now: number): Promise<number> {
    const wanted = new Map<string, ReturnType<typeof monthOf>>();
    let outside = 0;
    const window = (t: number) => inPartitionWindow(t, now) && t >= this.#retainedBefore;
    for (const t of times) {
      if (!window(t)) {
        outside++;
        continue;
      }
      const m = monthOf(t);
      if (!this.#partitions.has(m.name)) wanted.set(m.name, m);
    }
    const made = await ensurePartitions(this.#pool, [...wanted.values()]);
    for (const name of made) this.#partitions.add(name);
    // A month that could not get its partition keeps landing in the default one.
    for (const t of times) if (window(t) && !this.#partitions.has(monthOf(t).name)) outside++;
    return outside;
  }

  async retain(months: number, now: number): Promise<RetentionReport> {
    this.#retainedBefore = retentionCutoff(months, now);
    const report = await dropOldPartitions(this.#pool, months, now);
    for (const d of report.dropped) this.#partitions.delete(d.partition);
    return report;
  }

  async retained(device: string): Promise<RetainedRow[]> {
    return (await this.#query(`${RETAINED_SELECT} WHERE device = $1 ORDER BY through_seq`, [device]))
      .rows as RetainedRow[];
  }

  async flagDefaultPartition(device: string): Promise<void> {
    await this.#query('UPDATE devices SET default_partition = true WHERE id = $1', [device]);
  }

  alert(a: NewAlert): Promise<void> {
    return insertAlert(this.#pool, a);
  }

  async declareGap(g: GapRow): Promise<boolean> {
    const r = await this.#query(
      'INSERT INTO gaps (device, from_seq, through_seq, last_hash, checkpoint_seq, at) VALUES ($1, $2, $3, $4, $5, $6) ' +
        'ON CONFLICT (device, through_seq) DO UPDATE SET from_seq = excluded.from_seq, last_hash = excluded.last_hash, ' +
        'checkpoint_seq = excluded.checkpoint_seq, at = excluded.at ' +
        'WHERE gaps.last_hash <> excluded.last_hash OR gaps.checkpoint_seq <> excluded.checkpoint_seq',
      [g.device, g.fromSeq, g.throughSeq, g.lastHash, g.checkpointSeq, g.at],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async gaps(device: string): Promise<GapRow[]> {
    return (await this.#query(`${GAP_SELECT} WHERE device = $1 ORDER BY through_seq`, [device]))
      .rows as GapRow[];
  }

  async alerts(device?: string): Promise<AlertRow[]> {
    const sql = `SELECT id, device, kind, seq, message, at FROM alerts ${device ? 'WHERE device = $1' : ''} ORDER BY id`;
    return (await this.#query(sql, device ? [device] : [])).rows as AlertRow[];
  }

  async hasAlert(device: string, kind: HubAlertKind, since: number): Promise<boolean> {
    const r = await this.#query('SELECT 1 FROM alerts WHERE device = $1 AND kind = $2 AND at >= $3 LIMIT 1', [
      device,
      kind,
      since,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  async hashesAt(device: string, seqs: readonly number[]): Promise<Map<number, string>> {
    const rows = (
      await this.#query('SELECT seq, hash FROM records WHERE device = $1 AND seq = ANY($2::bigint[])', [
        device,
        seqs,
      ])
    ).rows as Array<{ seq: number; hash: string }>;
    return new Map(rows.map((r) => [r.seq, r.hash]));
  }

  async quarantined(device: string): Promise<HubRecord[]> {
    const rows = (await this.#query('SELECT record FROM quarantine WHERE device = $1 ORDER BY id', [device]))
      .rows as Array<{ record: string }>;
    return rows.map((r) => JSON.parse(r.record) as HubRecord);
  }

  async checkpoint(size?: number): Promise<StoredCheckpoint | undefined> {
    const r =
      size === undefined
        ? await this.#query('SELECT size, root, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1')
        : await this.#query('SELECT size, root, note FROM tlog_checkpoints WHERE size = $1', [size]);
    return r.rows[0] as StoredCheckpoint | undefined;
  }

  nodes(ids: readonly NodeId[]): Promise<Map<string, Buffer>> {
    return readNodes(this.#pool, ids);
  }

  async leaves(from: number, to: number): Promise<HubLeaf[]> {
    return (
      await this.#query(
        'SELECT device, seq, hash, received FROM tlog_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx',
        [from, to],
      )
    ).rows as HubLeaf[];
  }

  async records(device: string, afterSeq: number, limit: number): Promise<HubRecord[]> {
    const rows = (
      await this.#query(`${RECORD_SELECT} WHERE device = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [
        device,
        afterSeq,
        limit,
      ])
    ).rows as RecordColumns[];
    return rows.map(recordFromRow);
  }

  async exportTargets(): Promise<ExportTargetRow[]> {
    return ((await this.#query('SELECT * FROM exports ORDER BY name')).rows as ExportColumns[]).map(
      exportFromRow,
    );
  }

  async addExportTarget(t: NewExportTarget): Promise<boolean> {
    const r = await this.#query(
      'INSERT INTO exports (name, kind, target, token_file, created) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [t.name, t.kind, t.target, t.tokenFile, t.created],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async removeExportTarget(name: string): Promise<boolean> {
    return ((await this.#query('DELETE FROM exports WHERE name = $1', [name])).rowCount ?? 0) > 0;
  }

  async saveExportProgress(name: string, p: ExportProgress): Promise<void> {
    await this.#query(
      'UPDATE exports SET cursor = $1, exported = $2, last_error = $3, last_attempt = $4, last_success = $5 WHERE name = $6',
      [JSON.stringify(p.cursor), p.exported, p.lastError, p.lastAttempt, p.lastSuccess, name],
    );
  }
}

function busy(error: unknown): unknown {
  if (error instanceof Error && /timeout exceeded when trying to connect/.test(error.message)) {
    return new WardenError(
      'RateLimited',
      "the hub's database connections are all in use",
      'Retry after the time given.',
      {
        retryAfter: 1 + Math.floor(Math.random() * 5),
      },
    );
  }
  return error;
}
