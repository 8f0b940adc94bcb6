// PostgreSQL transactions of the hub: an ingest's (its device row locked with SELECT … FOR
// UPDATE) and the Merkle log's (its state row locked). Round trips are what a batch costs
// here, so BEGIN travels with the first lock, records and the new head go in one statement,
// and a log append (leaves, subtrees, checkpoint, size) is one statement too.

import type pg from 'pg';
import type { HubHead, HubLeaf, HubRecord } from '../api/hub.ts';
import type { NodeId } from '../tlog/merkle.ts';
import { type DeviceColumns, deviceFromRow, GAP_SELECT } from './rows.ts';
import {
  type GapRow,
  type HubLogTx,
  type HubTx,
  leafKey,
  type NewAlert,
  nodeKey,
  type PlacedLeaf,
  type StoredCheckpoint,
} from './store.ts';

export type Queryable = pg.Pool | pg.PoolClient;

/** BEGIN and the first statement in one round trip (simple protocol: literals only). */
export async function beginWith(c: pg.PoolClient, sql: string): Promise<pg.QueryResult> {
  const results = (await c.query(`BEGIN; ${sql}`)) as unknown as pg.QueryResult[];
  return results[1]!;
}

export async function deviceTx(c: pg.PoolClient, deviceId: string): Promise<HubTx> {
  const row = (await beginWith(c, `SELECT * FROM devices WHERE id = ${c.escapeLiteral(deviceId)} FOR UPDATE`))
    .rows[0] as DeviceColumns | undefined;
  return {
    ...logTx(c),
    device: row ? deviceFromRow(row) : undefined,
    hashes: async (from, to) => {
      const rows = (
        await c.query('SELECT seq, hash FROM records WHERE device = $1 AND seq BETWEEN $2 AND $3', [
          deviceId,
          from,
          to,
        ])
      ).rows as Array<{ seq: number; hash: string }>;
      return new Map(rows.map((r) => [r.seq, r.hash]));
    },
    insertRecords: (records, received) => insertRecords(c, deviceId, records, received, null),
    advance: (records, received, head) => insertRecords(c, deviceId, records, received, head),
    quarantine: async (records, reason, at) => {
      await c.query(
        'INSERT INTO quarantine (device, seq, record, reason, at) ' +
          'SELECT $1, s, r, $4, $5 FROM unnest($2::bigint[], $3::text[]) AS t(s, r)',
        [deviceId, records.map((r) => r.seq), records.map((r) => JSON.stringify(r)), reason, at],
      );
    },
    alert: (a) => insertAlert(c, a),
    setHead: async (head: HubHead) => {
      await c.query('UPDATE devices SET head_seq = $1, head_hash = $2 WHERE id = $3', [
        head.seq,
        head.hash,
        deviceId,
      ]);
    },
    setChallenge: async (seqs) => {
      await c.query('UPDATE devices SET challenge = $1 WHERE id = $2', [
        seqs ? JSON.stringify(seqs) : null,
        deviceId,
      ]);
    },
    gapBefore: async (seq) =>
      (await c.query(`${GAP_SELECT} WHERE device = $1 AND through_seq = $2`, [deviceId, seq - 1])).rows[0] as
        | GapRow
        | undefined,
    leafIndex: async (seq) => {
      const r = (
        await c.query('SELECT idx FROM tlog_leaves WHERE device = $1 AND seq = $2 ORDER BY idx LIMIT 1', [
          deviceId,
          seq,
        ])
      ).rows[0] as { idx: number } | undefined;
      return r?.idx;
    },
  };
}

/** The log's statements on a transaction's connection; `lockLog` may open the transaction. */
export function logTx(c: pg.PoolClient, begin = false): HubLogTx {
  return {
    leafAt: async (index) =>
      (await c.query('SELECT device, seq, hash, received FROM tlog_leaves WHERE idx = $1', [index]))
        .rows[0] as HubLeaf | undefined,
    latestCheckpoint: async () =>
      (await c.query('SELECT size, root, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1')).rows[0] as
        | StoredCheckpoint
        | undefined,
    lockLog: async () => {
      const sql = 'SELECT size FROM tlog_state WHERE id = 1 FOR UPDATE';
      const r = begin ? await beginWith(c, sql) : await c.query(sql);
      return (r.rows[0] as { size: number }).size;
    },
    leavesOf: async (keys) => {
      const rows = (
        await c.query(
          'SELECT DISTINCT ON (l.device, l.seq) l.idx, l.device, l.seq, l.hash, l.received FROM tlog_leaves l ' +
            'JOIN unnest($1::text[], $2::bigint[]) AS k(device, seq) ON l.device = k.device AND l.seq = k.seq ' +
            'ORDER BY l.device, l.seq, l.idx',
          [keys.map((k) => k.device), keys.map((k) => k.seq)],
        )
      ).rows as Array<HubLeaf & { idx: number }>;
      return new Map(
        rows.map(({ idx, ...leaf }) => [leafKey(leaf), { index: idx, leaf }] as [string, PlacedLeaf]),
      );
    },
    nodes: (ids) => readNodes(c, ids),
    appendLog: async (first, leaves, nodes, checkpoint) => {
      await c.query(
        'WITH l AS (INSERT INTO tlog_leaves (idx, device, seq, hash, received) ' +
          'SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::bigint[])), ' +
          'n AS (INSERT INTO tlog_nodes (level, idx, hash) SELECT * FROM unnest($6::int[], $7::bigint[], $8::bytea[]) ' +
          'ON CONFLICT (level, idx) DO UPDATE SET hash = excluded.hash), ' +
          'c AS (INSERT INTO tlog_checkpoints (size, root, note) VALUES ($9, $10, $11)) ' +
          'UPDATE tlog_state SET size = $9 WHERE id = 1',
        [
          leaves.map((_, i) => first + i),
          leaves.map((l) => l.device),
          leaves.map((l) => l.seq),
          leaves.map((l) => l.hash),
          leaves.map((l) => l.received),
          nodes.map((n) => n.level),
          nodes.map((n) => n.index),
          nodes.map((n) => n.hash),
          checkpoint.size,
          checkpoint.root,
          checkpoint.note,
        ],
      );
    },
  };
}

const RECORD_COLUMNS =
  'device, seq, time, kind, sandbox_id, "user", host, outcome, body, ctx, logged, prev_hash, hash, received';
// The rows travel as one JSON text (JSON.stringify is native, several times cheaper than
// node-postgres's array literals); PostgreSQL unescapes every string exactly (the text the
// device hashed: checkRecords refused any that UTF-8 cannot hold).
const RECORD_ROWS =
  'SELECT $1::text, r.seq, r.time, r.kind, r.sandbox_id, r."user", r.host, r.outcome, r.body, r.ctx, r.logged, ' +
  'r.prev_hash, r.hash, $3::bigint FROM json_to_recordset($2::json) AS r(seq bigint, time bigint, kind text, ' +
  'sandbox_id text, "user" text, host text, outcome text, body text, ctx text, logged bigint, prev_hash text, hash text)';

/** Insert records (resent ones are no-ops) and, given `head`, move the device's head: one statement. */
export async function insertRecords(
  c: Queryable,
  device: string,
  records: readonly HubRecord[],
  received: number,
  head: HubHead | null,
): Promise<number> {
  if (records.length === 0) return 0;
  const params: unknown[] = [device, JSON.stringify(records), received];
  const insert = `INSERT INTO records (${RECORD_COLUMNS}) ${RECORD_ROWS} ON CONFLICT DO NOTHING`;
  if (!head) return (await c.query(insert, params)).rowCount ?? 0;
  const r = await c.query(
    `WITH ins AS (${insert} RETURNING 1), ` +
      'h AS (UPDATE devices SET head_seq = $4, head_hash = $5 WHERE id = $1) ' +
      'SELECT count(*)::int AS n FROM ins',
    [...params, head.seq, head.hash],
  );
  return (r.rows[0] as { n: number }).n;
}

export async function insertAlert(c: Queryable, a: NewAlert): Promise<void> {
  await c.query('INSERT INTO alerts (device, kind, seq, message, at) VALUES ($1, $2, $3, $4, $5)', [
    a.device,
    a.kind,
    a.seq,
    a.message,
    a.at,
  ]);
}

export async function readNodes(c: Queryable, ids: readonly NodeId[]): Promise<Map<string, Buffer>> {
  if (ids.length === 0) return new Map();
  const rows = (
    await c.query(
      'SELECT n.level, n.idx, n.hash FROM tlog_nodes n JOIN unnest($1::int[], $2::bigint[]) AS w(level, idx) ' +
        'ON n.level = w.level AND n.idx = w.idx',
      [ids.map((i) => i.level), ids.map((i) => i.index)],
    )
  ).rows as Array<{ level: number; idx: number; hash: Buffer }>;
  return new Map(rows.map((r) => [nodeKey({ level: r.level, index: r.idx }), r.hash]));
}
