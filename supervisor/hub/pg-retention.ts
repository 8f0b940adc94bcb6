// Retention in PostgreSQL (`warden hub --retain-months N`): whole month partitions older than
// N months before the current one are dropped, oldest first, each after recording every
// device's checkpoint of it (the seqs it held, their count, and the hash of the last one:
// where the hub's verify resumes that device's chain). A partition is dropped only when, for
// every device in it, its records are the oldest the hub holds of that device and have no
// hole (a wrong clock can scatter seqs over months): the rest of a chain then still verifies.
// The default partition (wrong clocks) is never dropped.

import type pg from 'pg';
import { PARTITION_LOCK } from './pg-schema.ts';
import type { RetainedRow, RetentionReport } from './store.ts';

export const RETAINED_SELECT =
  'SELECT device, partition, from_seq AS "fromSeq", through_seq AS "throughSeq", records, ' +
  'last_hash AS "lastHash", at FROM retained';

/** The start of the UTC month `months` before the month of `now`. */
export function retentionCutoff(months: number, now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - months, 1);
}

/** `records_YYYYMM` → the end of that month (epoch ms), or null for another name. */
function partitionEnd(name: string): number | null {
  const m = /^records_(\d{4})(\d{2})$/.exec(name);
  return m ? Date.UTC(Number(m[1]), Number(m[2]), 1) : null;
}

export async function dropOldPartitions(
  pool: pg.Pool,
  months: number,
  now: number,
): Promise<RetentionReport> {
  const cutoff = retentionCutoff(months, now);
  const report: RetentionReport = { cutoff, dropped: [], kept: [] };
  const names = (
    await pool.query(
      'SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid ' +
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'records'",
    )
  ).rows as Array<{ name: string }>;
  const old = names
    .map((r) => ({ name: r.name, end: partitionEnd(r.name) }))
    .filter((p): p is { name: string; end: number } => p.end !== null && p.end <= cutoff)
    .sort((a, b) => a.end - b.end);
  for (const p of old) {
    const outcome = await dropOne(pool, p.name, now);
    if ('why' in outcome) {
      report.kept.push({ partition: p.name, why: outcome.why });
      break; // a newer month of the same devices would leave a hole before it
    }
    report.dropped.push({ partition: p.name, ...outcome });
  }
  return report;
}

async function dropOne(
  pool: pg.Pool,
  name: string,
  now: number,
): Promise<{ records: number; devices: number } | { why: string }> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
    // The partition's name comes from the catalog and matched records_YYYYMM: safe to splice.
    const summary = (
      await c.query(
        `SELECT device, min(seq) AS "fromSeq", max(seq) AS "throughSeq", count(*)::bigint AS records FROM ${name} GROUP BY device`,
      )
    ).rows as Array<Omit<RetainedRow, 'partition' | 'lastHash' | 'at'>>;
    const rows: RetainedRow[] = [];
    for (const s of summary) {
      if (s.records !== s.throughSeq - s.fromSeq + 1) {
        await c.query('ROLLBACK');
        return { why: `device ${s.device}'s records ${s.fromSeq}…${s.throughSeq} in it are not contiguous` };
      }
      const older = (
        await c.query('SELECT 1 FROM records WHERE device = $1 AND seq < $2 LIMIT 1', [s.device, s.fromSeq])
      ).rowCount;
      if (older) {
        await c.query('ROLLBACK');
        return { why: `device ${s.device} has records older than seq ${s.fromSeq} in a later partition` };
      }
      const last = (
        await c.query(`SELECT hash FROM ${name} WHERE device = $1 AND seq = $2`, [s.device, s.throughSeq])
      ).rows[0] as { hash: string };
      rows.push({ ...s, partition: name, lastHash: last.hash, at: now });
    }
    await c.query(
      'INSERT INTO retained (device, partition, from_seq, through_seq, records, last_hash, at) ' +
        'SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[])',
      [
        rows.map((r) => r.device),
        rows.map((r) => r.partition),
        rows.map((r) => r.fromSeq),
        rows.map((r) => r.throughSeq),
        rows.map((r) => r.records),
        rows.map((r) => r.lastHash),
        rows.map((r) => r.at),
      ],
    );
    await c.query(`ALTER TABLE records DETACH PARTITION ${name}`);
    await c.query(`DROP TABLE ${name}`);
    await c.query('COMMIT');
    return { records: rows.reduce((n, r) => n + r.records, 0), devices: rows.length };
  } catch (error) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    c.release();
  }
}
