// Filtered, cursor-paged reads. Pages are ordered by event time then seq, newest first by
// default; the cursor (opaque to clients) is `<time>.<seq>` of the last record of a page.
// Schema 3 pages through the segment index (segment-query.ts) and then reads the page's rows
// by seq. An older database opened read-only has an index per filter column ending in time,
// so its page is one index range scan. `follow` reads by seq (what was appended since).

import type Database from 'better-sqlite3';
import type { AuditFilter, AuditPage, AuditRecord } from '../api/audit-types.ts';
import type { ContextTable } from './contexts.ts';
import { type RawRow, toRecord } from './records.ts';
import type { Layout } from './schema.ts';
import { SegmentPager } from './segment-query.ts';
import { Witnesses } from './witnesses.ts';

export interface PageOptions {
  /** `nextCursor` from the previous page. */
  cursor?: string;
  /** 1…1000, default 100. */
  limit?: number;
  order?: 'asc' | 'desc';
}

export const MAX_PAGE = 1000;

export function parseCursor(cursor: string | undefined): { time: number; seq: number } | null {
  if (cursor === undefined || cursor === '') return null;
  const match = /^(-?\d{1,16})\.(\d{1,16})$/.exec(cursor);
  if (!match) throw new RangeError(`invalid audit cursor ${JSON.stringify(cursor)}`);
  return { time: Number(match[1]), seq: Number(match[2]) };
}

export class RecordQueries {
  readonly #db: Database.Database;
  readonly #columns: string;
  readonly #contexts: ContextTable;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #pager: SegmentPager | null;
  readonly #body: Layout['body'];

  constructor(db: Database.Database, layout: Layout, contexts: ContextTable) {
    this.#db = db;
    this.#columns = layout.columns;
    this.#body = layout.body;
    this.#contexts = contexts;
    this.#pager = layout.segments ? new SegmentPager(db) : null;
  }

  /** A row as a record, its OCSF with the hub's witness once a receipt covers it. */
  #record(row: RawRow, witnesses: Witnesses): AuditRecord {
    return toRecord(row, this.#contexts, (seq) => witnesses.of(seq));
  }

  get(seq: number): AuditRecord | null {
    const row = this.#statement(`SELECT ${this.#columns} FROM records WHERE seq = ?`).get(seq) as
      | RawRow
      | undefined;
    return row ? this.#record(row, new Witnesses(this.#db)) : null;
  }

  page(filter: AuditFilter, options: PageOptions = {}): AuditPage {
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(options.limit ?? 100)));
    const order = options.order === 'asc' ? 'ASC' : 'DESC';
    const cursor = parseCursor(options.cursor);
    // A package filter reads the records' bodies: it scans the request.ended records.
    if (this.#pager && !filter.package) {
      const { seqs, more } = this.#pager.select({
        filter,
        order: order === 'ASC' ? 'asc' : 'desc',
        cursor,
        limit,
      });
      const records: AuditRecord[] = [];
      for (const seq of seqs) {
        const record = this.get(seq);
        if (record) records.push(record); // null only if retention removed it meanwhile
      }
      const last = records[records.length - 1];
      return { records, nextCursor: more && last ? `${last.time}.${last.seq}` : null };
    }
    const where: string[] = [];
    const params: Array<string | number> = [];
    // Equality filters use their (column, seq) index; the time range is applied to those rows.
    if (filter.sandbox !== undefined) {
      where.push('sandbox_id = ?');
      params.push(filter.sandbox);
    }
    if (filter.kind !== undefined) {
      where.push('kind = ?');
      params.push(filter.kind);
    }
    if (filter.host !== undefined) {
      where.push('host = ?');
      params.push(filter.host);
    }
    if (filter.outcome !== undefined) {
      where.push('outcome = ?');
      params.push(filter.outcome);
    }
    this.#packageWhere(filter, where, params);
    if (filter.since !== undefined) {
      where.push('time >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('time < ?');
      params.push(filter.until);
    }
    if (cursor !== null) {
      where.push(order === 'DESC' ? '(time, seq) < (?, ?)' : '(time, seq) > (?, ?)');
      params.push(cursor.time, cursor.seq);
    }
    const sql =
      `SELECT ${this.#columns} FROM records` +
      (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY time ${order}, seq ${order} LIMIT ?`;
    const rows = this.#statement(sql).all(...params, limit + 1) as RawRow[];
    const more = rows.length > limit;
    const witnesses = new Witnesses(this.#db);
    const records = (more ? rows.slice(0, limit) : rows).map((row) => this.#record(row, witnesses));
    const last = records[records.length - 1];
    return { records, nextCursor: more && last ? `${last.time}.${last.seq}` : null };
  }

  /** Records appended after `afterSeq` that match the filter, in seq order. */
  after(afterSeq: number, filter: AuditFilter, limit: number): AuditRecord[] {
    const where = ['seq > ?'];
    const params: Array<string | number> = [afterSeq];
    for (const [column, value] of [
      ['sandbox_id', filter.sandbox],
      ['kind', filter.kind],
      ['host', filter.host],
      ['outcome', filter.outcome],
    ] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    if (filter.since !== undefined) {
      where.push('time >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('time < ?');
      params.push(filter.until);
    }
    this.#packageWhere(filter, where, params);
    // A live tail: the primary-key range (seq > after) is the selective part, so the other
    // conditions are marked `+column` to keep the planner off their indexes.
    const rows = this.#statement(
      `SELECT ${this.#columns} FROM records WHERE ${where.map((w, i) => (i === 0 ? w : `+${w}`)).join(' AND ')} ORDER BY seq LIMIT ?`,
    ).all(...params, Math.max(1, Math.floor(limit))) as RawRow[];
    const witnesses = new Witnesses(this.#db);
    return rows.map((row) => this.#record(row, witnesses));
  }

  /** `package=name[@version]`: the request.ended records of the tarballs fetched of it. */
  #packageWhere(filter: AuditFilter, where: string[], params: Array<string | number>): void {
    if (!filter.package) return;
    where.push("kind = 'request.ended'");
    where.push(`json_extract(${this.#body}, '$.package.name') = ?`);
    params.push(filter.package.name);
    if (filter.package.version !== undefined) {
      where.push(`json_extract(${this.#body}, '$.package.version') = ?`);
      params.push(filter.package.version);
    }
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
