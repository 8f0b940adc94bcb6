// The hub's Events page over ten million records (issue 16), on SQLite and, when WARDEN_TEST_PG
// names a cluster, PostgreSQL: a page of 50 at the start, the middle and the end of the table
// for each filter the page offers; goal p50 ≤ 50 ms each. The table is filled fast by the
// engines themselves (one INSERT … SELECT per million generated rows, with the secondary indexes
// dropped first), then the hub's own schema code recreates every index when it reopens, as it
// would on an existing database. Size: HUB_PAGING_ROWS (10,000,000).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { HubEventFilter } from '../../supervisor/api/hub-admin.ts';
import { type AdminDb, openAdminDb } from '../../supervisor/hub/admin-db.ts';
import { eventsPage, eventsQuery } from '../../supervisor/hub/admin-events.ts';
import { openHubStore } from '../../supervisor/hub/open-hub.ts';
import type { Figure } from './figures.ts';

const ROWS = Number(process.env.HUB_PAGING_ROWS ?? 10_000_000);
const CHUNK = 1_000_000;
const STEP = 3000; // ms between records: ten million span about a year (PostgreSQL's month partitions)
const DEVICES = 50;
const RUNS = 7;
const log = (line: string) => process.stderr.write(`hub-paging: ${line}\n`);

/** The generated columns of row g (every filter column varies; bodies carry an OCSF severity). */
function select(pgsql: boolean, base: number): string {
  const pad = pgsql ? "lpad((g % 50)::text, 32, '0')" : "printf('%032d', g % 50)";
  return (
    `SELECT ${pad}, g / ${DEVICES} + 1, ${base} + g * ${STEP}, ` +
    "CASE WHEN g % 7 = 0 THEN 'request.ended' ELSE 'request.decided' END, 'sb-' || (g % 13), 'user' || (g % 37), " +
    "'h' || (g % 101) || '.example.com', CASE WHEN g % 5 = 0 THEN 'denied' ELSE 'allowed' END, " +
    `CASE WHEN g % 5 = 0 THEN '{"class_uid":4002,"severity_id":3,"severity":"Medium"}' ` +
    `ELSE '{"class_uid":4002,"severity_id":1,"severity":"Informational"}' END, NULL, NULL, ` +
    `'${'0'.repeat(64)}', '${'1'.repeat(64)}', 0`
  );
}

const COLS =
  'device, seq, time, kind, sandbox_id, "user", host, outcome, body, ctx, logged, prev_hash, hash, received';

function fillSqlite(file: string, base: number): void {
  const db = new Database(file);
  try {
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const indexes = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND sql IS NOT NULL",
      )
      .all() as Array<{ name: string }>;
    for (const { name } of indexes) db.exec(`DROP INDEX ${name}`);
    for (let lo = 0; lo < ROWS; lo += CHUNK) {
      const hi = Math.min(ROWS, lo + CHUNK) - 1;
      db.exec(
        `INSERT INTO records (${COLS}) WITH RECURSIVE s(g) AS (SELECT ${lo} UNION ALL SELECT g + 1 FROM s WHERE g < ${hi}) ${select(false, base)} FROM s`,
      );
    }
  } finally {
    db.close();
  }
}

async function fillPg(url: string, base: number): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'records' AND indexname NOT LIKE '%pkey'",
    );
    for (const { indexname } of rows) await c.query(`DROP INDEX IF EXISTS ${indexname}`);
    for (let lo = 0; lo < ROWS; lo += CHUNK) {
      const hi = Math.min(ROWS, lo + CHUNK) - 1;
      await c.query(
        `INSERT INTO records (${COLS}) ${select(true, base)} FROM generate_series(${lo}::bigint, ${hi}) g`,
      );
    }
  } finally {
    await c.end();
  }
}

async function freshPg(admin: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `hub_paging_${randomBytes(4).toString('hex')}`;
  const q = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await q(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => q(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** The plan's nodes in one line; throws on a plan that reads the table in full or sorts all matches. */
async function checkPlan(db: AdminDb, f: HubEventFilter, cursor: string | undefined): Promise<string> {
  const { sql, params } = eventsQuery(f, cursor, 51);
  if (db.kind === 'sqlite') {
    const text = (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params))
      .map((r) => r.detail)
      .join(' | ');
    if (
      !/USING (COVERING )?INDEX records_/.test(text) ||
      /TEMP B-TREE FOR ORDER BY|^SCAN records$/.test(text)
    )
      throw new Error(`sqlite plan does not page by index: ${text}`);
    return text;
  }
  const [row] = await db.all<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  const nodes = new Set<string>();
  const walk = (n: Record<string, unknown>) => {
    nodes.add(
      `${n['Node Type']}${n['Index Name'] ? ` ${String(n['Index Name']).replace(/^records_\d+_/, '')}` : ''}`,
    );
    for (const c of (n.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(c);
  };
  walk((row!['QUERY PLAN'] as Array<{ Plan: Record<string, unknown> }>)[0]!.Plan);
  const text = [...nodes].join(' | ');
  if (/Seq Scan|(^|\| )Sort( \||$)/.test(text) || !/Index/.test(text))
    throw new Error(`postgres plan does not page by index: ${text}`);
  return text;
}

async function measure(kind: string, db: AdminDb, base: number): Promise<Figure[]> {
  const at = (row: number) => base + row * STEP;
  const device = '0'.repeat(30) + '17';
  const range = { from: at(ROWS * 0.25), to: at(ROWS * 0.75) };
  const filters: Array<[string, HubEventFilter]> = [
    ['none', {}],
    ['device', { device }],
    ['user', { user: 'user5' }],
    ['sandbox', { sandbox: 'sb-3' }],
    ['kind', { kind: 'request.ended' }],
    ['host', { host: 'h7.example.com' }],
    ['outcome', { outcome: 'denied' }],
    ['severity', { severity: 'Medium' }],
    ['time range', range],
    ['device + time range', { device, ...range }],
  ];
  const figures: Figure[] = [];
  for (const [name, f] of filters) {
    const ranged = f.from !== undefined;
    // Start: the newest page; middle: a cursor half-way; end: a cursor 20,000 rows from the oldest.
    const lo = ranged ? ROWS * 0.25 : 0;
    const hi = ranged ? ROWS * 0.75 : ROWS;
    const spots: Array<[string, string | undefined]> = [
      ['start', undefined],
      ['middle', `${at(Math.floor((lo + hi) / 2))}.zzzz.0`],
      ['end', `${at(lo + 20_000)}.zzzz.0`],
    ];
    const p50s: string[] = [];
    let worst = 0;
    let plan = '';
    for (const [where, cursor] of spots) {
      plan = f.severity ? '(severity: keyset scan of records_page)' : await checkPlan(db, f, cursor);
      const ms: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const page = await eventsPage(db, { ...f, cursor, limit: 50 });
        ms.push(performance.now() - t);
        if (page.events.length !== 50)
          throw new Error(`${kind} ${name} ${where}: ${page.events.length} events`);
      }
      ms.sort((a, b) => a - b);
      const p50 = ms[Math.floor(RUNS / 2)]!;
      worst = Math.max(worst, p50);
      p50s.push(`${where} ${p50.toFixed(1)}`);
    }
    log(`${kind} ${name}: ${p50s.join(', ')} ms (${plan})`);
    figures.push({
      section: 'hub',
      name: `Events page of 50 at ${ROWS.toLocaleString('en-US')} rows, ${kind}, filter ${name} (p50, worst of start/middle/end)`,
      value: Number(worst.toFixed(1)),
      unit: 'ms',
      goal: { op: '<=', target: 50, on: 'value' },
      note: `${p50s.join(', ')} ms; plan: ${plan}`,
    });
  }
  return figures;
}

async function benchEngine(kind: 'sqlite' | 'postgres'): Promise<Figure[]> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'warden-paging-bench-'));
  const pgdb = kind === 'postgres' ? await freshPg(process.env.WARDEN_TEST_PG!) : null;
  const url = pgdb ? pgdb.url : 'sqlite:hub.db';
  const base = Date.now() - ROWS * STEP;
  try {
    let started = performance.now();
    const store = await openHubStore(url, home);
    if (kind === 'postgres') {
      const months: number[] = [];
      for (let m = base; m < base + ROWS * STEP + 31 * 86_400_000; m += 20 * 86_400_000) months.push(m);
      await store.placeRecords(months, Date.now());
    }
    await (await openAdminDb(url, home)).close();
    await store.close();
    if (kind === 'sqlite') fillSqlite(path.join(home, 'hub.db'), base);
    else await fillPg(url, base);
    const filled = (performance.now() - started) / 1000;
    started = performance.now();
    // Reopened: the hub's store and admin schema recreate every index, as on an upgrade.
    const reopened = await openHubStore(url, home);
    const db = await openAdminDb(url, home);
    await db.run('ANALYZE');
    const indexed = (performance.now() - started) / 1000;
    log(
      `${kind}: ${ROWS} rows filled in ${filled.toFixed(0)} s, indexed and analysed in ${indexed.toFixed(0)} s`,
    );
    try {
      return await measure(kind, db, base);
    } finally {
      await db.close();
      await reopened.close();
    }
  } finally {
    await pgdb?.drop();
    rmSync(home, { recursive: true, force: true });
  }
}

export async function benchHubPaging(): Promise<Figure[]> {
  const figures = await benchEngine('sqlite');
  if (process.env.WARDEN_TEST_PG) figures.push(...(await benchEngine('postgres')));
  else log('PostgreSQL skipped: set WARDEN_TEST_PG (eval "$(bash test/support/hub/pg-cluster.sh start)")');
  return figures;
}
