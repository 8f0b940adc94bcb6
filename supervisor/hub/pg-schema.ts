// The PostgreSQL layout (13+): records partitioned by month on event time, with a default
// partition catching what falls outside the months the hub keeps partitions for (a device
// with a wrong clock: it is flagged). The primary key (device, seq, time) makes a resent
// record a no-op (ON CONFLICT DO NOTHING); indexes serve time, device, kind, host and user.

import type pg from 'pg';

export const PG_SCHEMA = `
CREATE TABLE IF NOT EXISTS hub_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (hash text PRIMARY KEY, created bigint NOT NULL, expires bigint NOT NULL,
  spent bigint, device text);
CREATE TABLE IF NOT EXISTS devices (id text PRIMARY KEY, public_key text NOT NULL, "user" text NOT NULL,
  machine text NOT NULL, os text NOT NULL, version text NOT NULL, enrolled_at bigint NOT NULL, revoked_at bigint,
  start_seq bigint NOT NULL, start_prev text NOT NULL, enroll_head_seq bigint, enroll_head_hash text,
  head_seq bigint, head_hash text, last_seen bigint, backlog bigint, challenge text,
  default_partition boolean NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS records (device text NOT NULL, seq bigint NOT NULL, time bigint NOT NULL,
  kind text NOT NULL, sandbox_id text, "user" text NOT NULL, host text, outcome text, body text NOT NULL, ctx text,
  logged bigint, prev_hash text NOT NULL, hash text NOT NULL, received bigint NOT NULL,
  PRIMARY KEY (device, seq, time)) PARTITION BY RANGE (time);
CREATE TABLE IF NOT EXISTS records_default PARTITION OF records DEFAULT;
CREATE INDEX IF NOT EXISTS records_time ON records (time);
CREATE INDEX IF NOT EXISTS records_device_time ON records (device, time);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, time);
CREATE INDEX IF NOT EXISTS records_host ON records (host, time);
CREATE INDEX IF NOT EXISTS records_user ON records ("user", time);
CREATE TABLE IF NOT EXISTS quarantine (id bigserial PRIMARY KEY, device text NOT NULL, seq bigint NOT NULL,
  record text NOT NULL, reason text NOT NULL, at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (id bigserial PRIMARY KEY, device text NOT NULL, kind text NOT NULL, seq bigint,
  message text NOT NULL, at bigint NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_device ON alerts (device, kind, at);
CREATE TABLE IF NOT EXISTS gaps (device text NOT NULL, from_seq bigint NOT NULL, through_seq bigint NOT NULL,
  last_hash text NOT NULL, checkpoint_seq bigint NOT NULL, at bigint NOT NULL, PRIMARY KEY (device, through_seq));
CREATE TABLE IF NOT EXISTS retained (device text NOT NULL, partition text NOT NULL, from_seq bigint NOT NULL,
  through_seq bigint NOT NULL, records bigint NOT NULL, last_hash text NOT NULL, at bigint NOT NULL,
  PRIMARY KEY (device, through_seq));
CREATE TABLE IF NOT EXISTS nonces (device text NOT NULL, nonce text NOT NULL, created bigint NOT NULL,
  PRIMARY KEY (device, nonce));
CREATE INDEX IF NOT EXISTS nonces_created ON nonces (created);
CREATE TABLE IF NOT EXISTS tlog_state (id int PRIMARY KEY CHECK (id = 1), size bigint NOT NULL);
INSERT INTO tlog_state (id, size) VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS tlog_nodes (level int NOT NULL, idx bigint NOT NULL, hash bytea NOT NULL,
  PRIMARY KEY (level, idx));
CREATE TABLE IF NOT EXISTS tlog_leaves (idx bigint PRIMARY KEY, device text NOT NULL, seq bigint NOT NULL,
  hash text NOT NULL, received bigint NOT NULL);
CREATE INDEX IF NOT EXISTS tlog_leaves_device ON tlog_leaves (device, seq);
CREATE TABLE IF NOT EXISTS tlog_checkpoints (size bigint PRIMARY KEY, root bytea NOT NULL, note text NOT NULL);
CREATE TABLE IF NOT EXISTS exports (name text PRIMARY KEY, kind text NOT NULL, target text NOT NULL,
  token_file text, created bigint NOT NULL, cursor text NOT NULL DEFAULT '{}', exported bigint NOT NULL DEFAULT 0,
  last_error text, last_attempt bigint NOT NULL DEFAULT 0, last_success bigint);
`;

/** Advisory lock keys (any hub process takes them to change the layout). */
export const SCHEMA_LOCK = 0x5741_5244; // "WARD"
export const PARTITION_LOCK = 0x5741_5250;

/** Months the hub keeps partitions for, around now: older or later records land in the default partition. */
export const PARTITION_MONTHS_BACK = 24;
export const PARTITION_MONTHS_AHEAD = 1;

/** [start, end) epoch ms of the UTC month holding `ms`, and the partition's name. */
export function monthOf(ms: number): { name: string; start: number; end: number } {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  return {
    name: `records_${y}${String(m + 1).padStart(2, '0')}`,
    start: Date.UTC(y, m, 1),
    end: Date.UTC(y, m + 1, 1),
  };
}

/** Does the month of `ms` get its own partition (relative to `now`)? */
export function inPartitionWindow(ms: number, now: number): boolean {
  const n = new Date(now);
  const from = Date.UTC(n.getUTCFullYear(), n.getUTCMonth() - PARTITION_MONTHS_BACK, 1);
  const to = Date.UTC(n.getUTCFullYear(), n.getUTCMonth() + PARTITION_MONTHS_AHEAD + 1, 1);
  return ms >= from && ms < to;
}

export async function migratePg(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await client.query(PG_SCHEMA);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Make sure each month in the window among `times` has its partition. A month whose rows
 * already sit in the default partition cannot get one (PostgreSQL refuses); its records keep
 * landing in the default partition. Returns the months that have a partition.
 */
export async function ensurePartitions(
  pool: pg.Pool,
  months: ReadonlyArray<ReturnType<typeof monthOf>>,
): Promise<Set<string>> {
  const ok = new Set<string>();
  if (months.length === 0) return ok;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
    for (const m of months) {
      await client.query('SAVEPOINT part');
      try {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${m.name} PARTITION OF records FOR VALUES FROM (${m.start}) TO (${m.end})`,
        );
        await client.query('RELEASE SAVEPOINT part');
        ok.add(m.name);
      } catch {
        await client.query('ROLLBACK TO SAVEPOINT part');
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return ok;
}
