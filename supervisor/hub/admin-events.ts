// Events across devices for the hub's page: filters by device, user, sandbox, kind, host,
// outcome and time range in SQL, with keyset paging on (time, device, seq) over admin-db.ts's PAGE_INDEXES (never OFFSET: a
// page costs the same at row ten million as at row one). The severity is not a column (it is
// the OCSF mapping's, computed from the record), so a severity filter reads rows in the same
// keyset order and keeps those at or above it, reading at most severityScanMax rows a page.

import { WardenError } from '../api/errors.ts';
import type { HubRecord } from '../api/hub.ts';
import {
  HUB_ADMIN_LIMITS,
  HUB_SEVERITIES,
  type HubEventFilter,
  type HubEventPage,
  type HubEventView,
} from '../api/hub-admin.ts';
import { ocsfOf } from '../audit/otlp/ocsf-of.ts';
import type { AdminDb } from './admin-db.ts';

const COLUMNS =
  'device, seq, time, kind, sandbox_id, "user", host, outcome, body, ctx, logged, prev_hash, hash';

export function formatCursor(e: Pick<HubEventView, 'time' | 'device' | 'seq'>): string {
  return `${e.time}.${e.device}.${e.seq}`;
}

export function parseCursor(text: string): { time: number; device: string; seq: number } {
  const m = /^(-?\d{1,16})\.([0-9A-Za-z_-]{1,128})\.(\d{1,16})$/.exec(text);
  if (!m)
    throw new WardenError(
      'BadRequest',
      'invalid events cursor',
      'Pass back the `next` of the previous page.',
    );
  return { time: Number(m[1]), device: m[2]!, seq: Number(m[3]) };
}

/** The SQL of one keyset page (exported for the EXPLAIN test). */
export function eventsQuery(f: HubEventFilter, cursor: string | undefined, rows: number) {
  const where: string[] = [];
  const params: unknown[] = [];
  const eq = (col: string, v: string | undefined) => {
    if (v) {
      where.push(`${col} = ?`);
      params.push(v);
    }
  };
  eq('device', f.device);
  eq('"user"', f.user);
  eq('sandbox_id', f.sandbox);
  eq('kind', f.kind);
  eq('host', f.host);
  eq('outcome', f.outcome);
  if (f.from !== undefined) {
    where.push('time >= ?');
    params.push(f.from);
  }
  const c = cursor ? parseCursor(cursor) : null;
  // A cursor before `to` bounds time more tightly than `to` does: `to` is then left out, or
  // SQLite may seek the index from `to` and read every row down to the cursor.
  if (f.to !== undefined && !(c && c.time < f.to)) {
    where.push('time < ?');
    params.push(f.to);
  }
  if (c) {
    if (f.device) {
      // One device: the same order over its (device, time, seq) index, seekable without `device`.
      if (c.device === f.device) {
        where.push('(time, seq) < (?, ?)');
        params.push(c.time, c.seq);
      } else {
        where.push(c.device > f.device ? 'time <= ?' : 'time < ?');
        params.push(c.time);
      }
    } else {
      // A row-value comparison: both SQLite and PostgreSQL seek the (…, time, device, seq) index with it.
      where.push('(time, device, seq) < (?, ?, ?)');
      params.push(c.time, c.device, c.seq);
    }
  }
  params.push(rows);
  const sql =
    `SELECT ${COLUMNS} FROM records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
    'ORDER BY time DESC, device DESC, seq DESC LIMIT ?';
  return { sql, params };
}

function toRecord(r: Record<string, unknown>): HubRecord & { device: string } {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    device: String(r.device),
    seq: Number(r.seq),
    time: Number(r.time),
    kind: String(r.kind),
    sandbox_id: s(r.sandbox_id),
    user: String(r.user),
    host: s(r.host),
    outcome: s(r.outcome),
    body: String(r.body),
    ctx: s(r.ctx),
    logged: n(r.logged),
    prev_hash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

/** The OCSF severity_id of a record (0: unknown, or a body that does not map). */
export function severityIdOf(r: HubRecord): number {
  try {
    const id = Number(ocsfOf(r).severity_id);
    return Number.isInteger(id) ? id : 0;
  } catch {
    return 0;
  }
}

function view(r: HubRecord & { device: string }): HubEventView {
  return {
    device: r.device,
    seq: r.seq,
    time: r.time,
    kind: r.kind,
    user: r.user,
    host: r.host,
    outcome: r.outcome,
    sandboxId: r.sandbox_id,
    body: r.body,
    hash: r.hash,
  };
}

export async function eventsPage(db: AdminDb, f: HubEventFilter): Promise<HubEventPage> {
  const limit = Math.min(Math.max(f.limit ?? 50, 1), HUB_ADMIN_LIMITS.eventsPageMax);
  if (!f.severity) {
    const { sql, params } = eventsQuery(f, f.cursor, limit + 1);
    const rows = (await db.all<Record<string, unknown>>(sql, params)).map(toRecord);
    const events = rows.slice(0, limit).map(view);
    const last = events.at(-1);
    return { events, next: rows.length > limit && last ? formatCursor(last) : null };
  }
  const least = HUB_SEVERITIES.indexOf(f.severity) + 1;
  const events: HubEventView[] = [];
  let cursor = f.cursor;
  let read = 0;
  const chunk = Math.max(limit * 4, 200);
  while (read < HUB_ADMIN_LIMITS.severityScanMax) {
    const { sql, params } = eventsQuery(f, cursor, chunk);
    const rows = (await db.all<Record<string, unknown>>(sql, params)).map(toRecord);
    for (const r of rows) {
      read++;
      cursor = formatCursor(r);
      if (severityIdOf(r) >= least) {
        events.push(view(r));
        if (events.length === limit) return { events, next: cursor };
      }
    }
    if (rows.length < chunk) return { events, next: null };
  }
  return { events, next: cursor ?? null, partial: true };
}
