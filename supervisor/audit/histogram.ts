// Records per time bucket and kind, counted by SQLite (GROUP BY over the rows of the range).
// With the segment index (schema 3) only the seqs of segments whose time span meets the
// range, and the unsealed tail, are read; an older database uses its time index.

import type Database from 'better-sqlite3';
import type { AuditFilter, AuditHistogram, AuditKind } from '../api/audit-types.ts';
import type { Layout } from './schema.ts';

export interface HistogramRange {
  since: number;
  until: number;
  buckets: number;
}

type Row = [bucket: number, kind: AuditKind, count: number];

export class HistogramQueries {
  readonly #db: Database.Database;
  readonly #segments: boolean;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database, layout: Layout) {
    this.#db = db;
    this.#segments = layout.segments;
  }

  histogram(
    filter: Pick<AuditFilter, 'sandbox' | 'host' | 'outcome'>,
    range: HistogramRange,
  ): AuditHistogram {
    const { since, until } = range;
    const buckets = Math.max(1, Math.floor(range.buckets));
    const bucketMs = Math.max(1, Math.ceil((until - since) / buckets));
    const where = ['seq BETWEEN ? AND ?', 'time >= ?', 'time < ?'];
    const params: Array<string | number> = [];
    for (const [column, value] of [
      ['sandbox_id', filter.sandbox],
      ['host', filter.host],
      ['outcome', filter.outcome],
    ] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    const sql = `SELECT (time - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS b, kind, COUNT(*) FROM records WHERE ${where.join(' AND ')} GROUP BY b, kind`;
    const counts = new Map<AuditKind, number[]>();
    let total = 0;
    for (const [lo, hi] of this.#seqRanges(since, until)) {
      const rows = this.#statement(sql).all(since, bucketMs, lo, hi, since, until, ...params) as Row[];
      for (const [b, kind, n] of rows) {
        if (b < 0 || b >= buckets) continue;
        let series = counts.get(kind);
        if (!series) {
          series = new Array<number>(buckets).fill(0);
          counts.set(kind, series);
        }
        series[b]! += n;
        total += n;
      }
    }
    const kinds = [...counts]
      .map(([kind, c]) => ({ kind, counts: c, sum: c.reduce((a, v) => a + v, 0) }))
      .sort((a, b) => b.sum - a.sum || a.kind.localeCompare(b.kind))
      .map(({ kind, counts: c }) => ({ kind, counts: c }));
    const starts = Array.from({ length: buckets }, (_, i) => since + i * bucketMs);
    return { since, until, bucketMs, starts, kinds, total };
  }

  /** Seq ranges (inclusive) that may hold records of [since, until). */
  #seqRanges(since: number, until: number): Array<[number, number]> {
    if (!this.#segments) return [[0, Number.MAX_SAFE_INTEGER]];
    const [lo, hi] = this.#statement(
      'SELECT MIN(first_seq), MAX(last_seq) FROM segments WHERE max_time >= ? AND min_time < ?',
    ).get(since, until) as [number | null, number | null];
    const [sealed] = this.#statement('SELECT COALESCE(MAX(last_seq), 0) FROM segments').get() as [number];
    const tail: [number, number] = [sealed + 1, Number.MAX_SAFE_INTEGER];
    if (lo === null || hi === null) return [tail];
    if (hi + 1 >= tail[0]) return [[lo, tail[1]]];
    return [[lo, hi], tail];
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql).raw(true);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
