// Pages through the segment index against an oracle: every record read back with a plain
// scan, filtered and sorted in JavaScript. Thousands of records (several complete segments
// and a tail), event times out of seq order (late events, ties), rare values, cursors in both
// orders, retention cutting a segment in half, a reader whose cached segment list goes stale,
// and a schema 2 database (per-column indexes) migrated to the segment index.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { iso, requestEvent, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import type { AuditFilter } from '../api/audit-types.ts';
import type { WardenEvent } from '../api/events.ts';
import { SEGMENT_SIZE } from './segments.ts';
import { AuditStore } from './store.ts';

type Row = {
  seq: number;
  time: number;
  sandbox_id: string | null;
  kind: string;
  host: string | null;
  outcome: string | null;
};

/**
 * Event i: mostly in time order; every 7th arrives 50 minutes late, one comes from a clock
 * hours ahead, every 11th and the first of each segment tie with the event before them.
 */
function event(i: number): WardenEvent {
  let offset = i * 1000;
  if (i % 7 === 0) offset -= 3_000_000;
  if (i === 3) offset += 10_000_000;
  if (i % 11 === 0 || i % SEGMENT_SIZE === 0) offset = (i - 1) * 1000;
  const time = iso(offset);
  if (i % 13 === 0)
    return {
      type: 'secret.injected',
      time,
      sandboxId: `sb-${i % 3}`,
      user: 'alice',
      secret: 'TOKEN',
      host: `h${i % 4}.example.com`,
    };
  return requestEvent(i, { time, host: i % 997 === 5 ? 'rare.example.com' : `h${i % 4}.example.com` });
}

function allRows(file: string): Row[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT seq, time, sandbox_id, kind, host, outcome FROM records').all() as Row[];
  } finally {
    db.close();
  }
}

function expected(rows: Row[], filter: AuditFilter, order: 'asc' | 'desc'): number[] {
  const match = rows.filter(
    (r) =>
      (filter.sandbox === undefined || r.sandbox_id === filter.sandbox) &&
      (filter.kind === undefined || r.kind === filter.kind) &&
      (filter.host === undefined || r.host === filter.host) &&
      (filter.outcome === undefined || r.outcome === filter.outcome) &&
      (filter.since === undefined || r.time >= filter.since) &&
      (filter.until === undefined || r.time < filter.until),
  );
  match.sort((a, b) => a.time - b.time || a.seq - b.seq);
  if (order === 'desc') match.reverse();
  return match.map((r) => r.seq);
}

/** Every seq of a filter, page by page through nextCursor. */
function walk(store: AuditStore, filter: AuditFilter, order: 'asc' | 'desc', limit: number): number[] {
  const seqs: number[] = [];
  let page = store.query(filter, { order, limit });
  for (let n = 0; ; n++) {
    assert.ok(page.records.length <= limit);
    seqs.push(...page.records.map((r) => r.seq));
    if (!page.nextCursor) break;
    assert.ok(n < 10_000, 'paging does not end');
    page = store.query(filter, { order, limit, cursor: page.nextCursor });
  }
  return seqs;
}

const T = (s: number) => Date.parse(iso(s * 1000));
const FILTERS: AuditFilter[] = [
  {},
  { sandbox: 'sb-1' },
  { kind: 'secret.injected' },
  { host: 'rare.example.com' },
  { host: 'h2.example.com', outcome: 'denied' },
  { sandbox: 'sb-2', kind: 'secret.injected', host: 'h1.example.com' },
  { host: 'nowhere.example.com' },
  { since: T(1000), until: T(1500) },
  { sandbox: 'sb-0', since: T(3000) },
  { outcome: 'allowed', until: T(200) },
];

function checkAll(store: AuditStore, file: string, limits = [1, 7, 100, 1000]): void {
  const rows = allRows(file);
  for (const filter of FILTERS) {
    for (const order of ['desc', 'asc'] as const) {
      const want = expected(rows, filter, order);
      for (const limit of limits) {
        if (limit === 1 && want.length > 400) continue; // one record a page: slow, proves nothing more
        assert.deepEqual(
          walk(store, filter, order, limit),
          want,
          `${JSON.stringify(filter)} ${order} limit ${limit}`,
        );
      }
    }
  }
}

const N = 4 * SEGMENT_SIZE + 300;

test('pages through complete segments and the tail match a plain scan, in both orders, by cursor', () => {
  const { dir, dispose } = makeTempDir();
  const file = path.join(dir, 'audit.db');
  const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
  try {
    store.appendBatch(Array.from({ length: 2500 }, (_, i) => event(i)));
    store.appendBatch(Array.from({ length: N - 2500 }, (_, i) => event(2500 + i)));
    const db = new Database(file, { readonly: true });
    assert.equal(db.prepare('SELECT count(*) FROM segments').pluck().get(), 4);
    db.close();
    checkAll(store, file);
  } finally {
    store.close();
    dispose();
  }
});

test('a reader keeps up with segments sealed after it opened, and with retention dropping them', () => {
  const { dir, dispose } = makeTempDir();
  const file = path.join(dir, 'audit.db');
  const writer = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
  try {
    writer.appendBatch(Array.from({ length: 1500 }, (_, i) => event(i)));
    const reader = AuditStore.open(file, { readOnly: true });
    try {
      checkAll(reader, file, [100]);
      writer.appendBatch(Array.from({ length: N - 1500 }, (_, i) => event(1500 + i)));
      checkAll(reader, file, [100, 1000]);
      // Cut through the middle of the second segment: the first is dropped, the second is partial.
      const pruned = writer.prune({ maxRecords: N - (SEGMENT_SIZE + 500) });
      assert.equal(pruned.throughSeq, SEGMENT_SIZE + 500);
      checkAll(reader, file, [7, 100]);
      checkAll(writer, file, [100]);
      const db = new Database(file, { readonly: true });
      assert.equal(db.prepare('SELECT min(first_seq) FROM segments').pluck().get(), SEGMENT_SIZE + 1);
      db.close();
      assert.equal(writer.verify().ok, true);
    } finally {
      reader.close();
    }
  } finally {
    writer.close();
    dispose();
  }
});

test('two writers on one file (the daemon and a standalone proxy) index every segment exactly', () => {
  const { dir, dispose } = makeTempDir();
  const file = path.join(dir, 'audit.db');
  const a = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
  const b = AuditStore.open(file, { device: { ...TEST_DEVICE, hostname: 'other' }, durability: 'normal' });
  try {
    // Turns of uneven sizes: segments are completed by either writer, from rows it noted
    // itself or from rows the other one wrote (read back).
    const sizes = [300, 900, 50, 1024, 1, 700, 1500, 200];
    let i = 0;
    for (const [turn, size] of sizes.entries()) {
      (turn % 2 === 0 ? a : b).appendBatch(Array.from({ length: size }, (_, k) => event(i + k)));
      i += size;
    }
    assert.equal(a.verify().ok, true);
    checkAll(b, file, [100]);
    const db = new Database(file, { readonly: true });
    assert.equal(db.prepare('SELECT count(*) FROM segments').pluck().get(), Math.floor(i / SEGMENT_SIZE));
    db.close();
  } finally {
    a.close();
    b.close();
    dispose();
  }
});

test('a schema 2 database (an index per column) reads through its indexes, then migrates to segments', () => {
  const { dir, dispose } = makeTempDir();
  const file = path.join(dir, 'audit.db');
  const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
  store.appendBatch(Array.from({ length: N }, (_, i) => event(i)));
  store.close();
  // Turn it into what Warden wrote before schema 3: same records, per-column indexes.
  const db = new Database(file);
  db.exec(`DROP TABLE segments; DROP TABLE postings; DROP INDEX records_checkpoints;
    CREATE INDEX records_sandbox ON records (sandbox_id, time); CREATE INDEX records_kind ON records (kind, time);
    CREATE INDEX records_host ON records (host, time); CREATE INDEX records_outcome ON records (outcome, time);
    CREATE INDEX records_time ON records (time);
    UPDATE meta SET value = '2' WHERE key = 'schema_version';`);
  db.close();
  try {
    const old = AuditStore.open(file, { readOnly: true });
    checkAll(old, file, [100]);
    old.close();
    const migrated = AuditStore.open(file, { device: TEST_DEVICE });
    const check = new Database(file, { readonly: true });
    const indexes = check
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
      .pluck()
      .all();
    assert.deepEqual(indexes, ['records_checkpoints']);
    assert.equal(check.prepare('SELECT count(*) FROM segments').pluck().get(), 4);
    assert.equal(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), '3');
    check.close();
    checkAll(migrated, file, [100]);
    assert.equal(migrated.verify().ok, true, 'migration touches no record');
    migrated.close();
  } finally {
    dispose();
  }
});
