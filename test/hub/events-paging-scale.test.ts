// Events paging at scale, on SQLite and PostgreSQL: a records table of WARDEN_EVENTS_ROWS rows
// (default 200,000; 50 devices over about five months, so PostgreSQL spreads them over month
// partitions) and every filter the page offers, first page and a page deep in the table. The
// plan must seek an index in the page's order (no sequential scan, no full sort of the matches;
// either engine may pick the time index and sort only the rows tied on time) and a page must
// cost about the same at the end of the table as at its start.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubEventFilter } from '../../supervisor/api/hub-admin.ts';
import type { AdminDb } from '../../supervisor/hub/admin-db.ts';
import { eventsPage, eventsQuery } from '../../supervisor/hub/admin-events.ts';
import { startAdminHub } from '../support/hub/admin.ts';
import { storeKinds } from '../support/hub/hub.ts';

const ROWS = Number(process.env.WARDEN_EVENTS_ROWS ?? 200_000);
const STEP = 60_000;
const DEVICES = 50;

function fill(db: AdminDb, base: number): Promise<number> {
  const pg = db.kind === 'postgres';
  const pad = pg ? "lpad((g % 50)::text, 32, '0')" : "printf('%032d', g % 50)";
  const cols =
    'device, seq, time, kind, sandbox_id, "user", host, outcome, body, ctx, logged, prev_hash, hash, received';
  const select =
    `SELECT ${pad}, g / ${DEVICES} + 1, ${base} + g * ${STEP}, ` +
    "CASE WHEN g % 7 = 0 THEN 'request.ended' ELSE 'request.decided' END, 'sb-' || (g % 13), 'user' || (g % 37), " +
    "'h' || (g % 101) || '.example.com', CASE WHEN g % 5 = 0 THEN 'denied' ELSE 'allowed' END, '{}', NULL, NULL, " +
    `'${'0'.repeat(64)}', '${'1'.repeat(64)}', 0`;
  return pg
    ? db.run(`INSERT INTO records (${cols}) ${select} FROM generate_series(0::bigint, ${ROWS - 1}) g`)
    : db.run(
        `INSERT INTO records (${cols}) WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < ${ROWS - 1}) ${select} FROM s`,
      );
}

async function planOf(db: AdminDb, f: HubEventFilter, cursor: string | undefined): Promise<string[]> {
  const { sql, params } = eventsQuery(f, cursor, 51);
  if (db.kind === 'sqlite') {
    const rows = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params);
    return rows.map((r) => r.detail);
  }
  const [row] = await db.all<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  const nodes: string[] = [];
  const walk = (n: Record<string, unknown>) => {
    nodes.push(`${n['Node Type']}${n['Index Name'] ? ` ${n['Index Name']}` : ''}`);
    for (const c of (n.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(c);
  };
  walk((row!['QUERY PLAN'] as Array<{ Plan: Record<string, unknown> }>)[0]!.Plan);
  return nodes;
}

for (const kind of storeKinds()) {
  test(`${kind}: every events filter pages by index over ${ROWS} rows`, { timeout: 900_000 }, async (t) => {
    const hub = await startAdminHub(t, kind);
    const db = hub.admin.adminStore.db;
    const base = Date.now() - ROWS * STEP;
    if (kind === 'postgres') {
      const months: number[] = [];
      for (let m = base; m < base + ROWS * STEP + 31 * 86_400_000; m += 20 * 86_400_000) months.push(m);
      assert.equal(await hub.service.store.placeRecords(months, Date.now()), 0);
    }
    const started = Date.now();
    assert.equal(await fill(db, base), ROWS);
    await db.run('ANALYZE');
    t.diagnostic(`${ROWS} rows inserted and indexed in ${Date.now() - started} ms`);

    const deepTime = base + Math.floor(ROWS * 0.1) * STEP;
    const device = '0'.repeat(30) + '17';
    const filters: Array<[string, HubEventFilter]> = [
      ['none', {}],
      ['device', { device }],
      ['user', { user: 'user5' }],
      ['sandbox', { sandbox: 'sb-3' }],
      ['kind', { kind: 'request.ended' }],
      ['host', { host: 'h7.example.com' }],
      ['outcome', { outcome: 'denied' }],
      ['time range', { from: base + 1000 * STEP, to: base + (ROWS - 1000) * STEP }],
      ['device + time range', { device, from: base, to: deepTime + STEP }],
    ];
    for (const [name, f] of filters) {
      for (const [where, cursor] of [
        ['first', undefined],
        ['deep', `${deepTime}.zzzz.0`],
        ['deep, same device', `${deepTime + 17 * STEP}.${device}.999999`],
      ] as const) {
        const plan = await planOf(db, f, cursor);
        const text = plan.join(' | ');
        if (kind === 'sqlite') {
          assert.match(
            text,
            /USING (COVERING )?INDEX records_\w*page|USING INDEX records_/,
            `${name} ${where}: ${text}`,
          );
          // Sorting only the ties on time ("FOR LAST 2 TERMS") is bounded; a full sort is not.
          assert.doesNotMatch(text, /TEMP B-TREE FOR ORDER BY|^SCAN records$/, `${name} ${where}: ${text}`);
        } else {
          // An Incremental Sort over an index in time order is bounded (ties on time); a full Sort is not.
          assert.doesNotMatch(text, /Seq Scan|(^|\| )Sort( \||$)/, `${name} ${where}: ${text}`);
          assert.match(text, /Index/, `${name} ${where}: ${text}`);
        }
        const t0 = performance.now();
        const page = await eventsPage(db, { ...f, cursor, limit: 50 });
        const ms = performance.now() - t0;
        assert.ok(page.events.length > 0, `${name} ${where}: a page`);
        for (let i = 1; i < page.events.length; i++) {
          const [a, b] = [page.events[i - 1]!, page.events[i]!];
          assert.ok(a.time > b.time || (a.time === b.time && (a.device > b.device || a.seq > b.seq)));
        }
        if (cursor) assert.ok(page.events[0]!.time <= deepTime + 17 * STEP);
        t.diagnostic(`${kind} ${name}, ${where} page: ${ms.toFixed(1)} ms (${text})`);
        assert.ok(ms < 1000, `${name} ${where}: ${ms} ms`);
      }
    }
  });
}
