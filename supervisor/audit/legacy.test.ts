// A schema 1 database (full OCSF stored, written by the old rules in
// test/support/audit/legacy-fixture.ts) stays readable and verifiable read-only, and is
// migrated in place on a writable open: no record is rewritten, the chain continues
// across the two formats, and tampering with either kind of record is still named.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { OCSF_13_REQUEST_DECIDED, writeLegacyDatabase } from '../../test/support/audit/legacy-fixture.ts';
import {
  iso,
  type Loose,
  requestEvent,
  sampleEvents,
  T0,
  TEST_DEVICE,
} from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import type { AuditChainStatus } from '../api/audit-types.ts';
import type { WardenEvent } from '../api/events.ts';
import { canonicalJson } from './canonical.ts';
import type { CheckpointEvent } from './ocsf.ts';
import { checkReadable, SCHEMA_VERSION } from './schema.ts';
import { AuditStore } from './store.ts';
import { type ContextRow, type SliceResult, verifySlices } from './verify-parallel.ts';

const NOW = T0 + 3_600_000;
const CTX = { device: TEST_DEVICE, version: '0.1.0' };

function legacyEvents(): WardenEvent[] {
  return [...sampleEvents(), ...Array.from({ length: 30 }, (_, i) => requestEvent(i + 1))];
}

function withLegacy(fn: (file: string, rows: ReturnType<typeof writeLegacyDatabase>) => void): void {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    fn(file, writeLegacyDatabase(file, legacyEvents(), CTX, NOW));
  } finally {
    dispose();
  }
}

/** Verify sequentially and with worker threads; both must agree. */
function verifyBothWays(file: string): AuditChainStatus {
  const results = [0, 2].map((threads) => {
    const ro = AuditStore.open(file, { readOnly: true, verifyThreads: threads, verifyParallelMin: 0 });
    try {
      const { durationMs: _, ...status } = ro.verify();
      return status as AuditChainStatus;
    } finally {
      ro.close();
    }
  });
  assert.deepEqual(results[1], results[0], 'worker threads agree with the sequential walk');
  return results[0] as AuditChainStatus;
}

function open(file: string): AuditStore {
  return AuditStore.open(file, {
    device: TEST_DEVICE,
    version: '0.2.0',
    durability: 'normal',
    now: () => NOW,
  });
}

test('a schema 1 database reads and verifies read-only without being changed', () => {
  withLegacy((file, rows) => {
    const status = verifyBothWays(file);
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.equal(status.records, rows.length);
    assert.equal(status.anchor.state, 'match');
    const ro = AuditStore.open(file, { readOnly: true });
    try {
      for (const row of rows) assert.equal(canonicalJson(ro.get(row.seq)?.ocsf), row.ocsf);
      assert.equal(ro.query({ kind: 'approval.answered' }).records[0]?.ocsf.class_uid, 6004);
      let out = '';
      ro.export({ format: 'ocsf-ndjson', write: (c) => (out += c) });
      assert.deepEqual(
        out.trim().split('\n'),
        rows.map((r) => r.ocsf),
      );
    } finally {
      ro.close();
    }
    const db = new Database(file, { readonly: true });
    assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), '1');
    db.close();
  });
});

test('an edited schema 1 record is named, read-only and after migration', () => {
  withLegacy((file) => {
    const db = new Database(file);
    db.prepare('UPDATE records SET ocsf = replace(ocsf, \'"alice"\', \'"mallory"\') WHERE seq = 9').run();
    db.close();
    let status = verifyBothWays(file);
    assert.equal(status.firstBad?.seq, 9, JSON.stringify(status));
    assert.match(status.firstBad?.problem ?? '', /edited/);
    open(file).close();
    status = verifyBothWays(file);
    assert.equal(status.firstBad?.seq, 9, JSON.stringify(status));
  });
});

test('a writable open migrates in place: rows untouched, chain continues in schema 2', () => {
  withLegacy((file, rows) => {
    const store = open(file);
    const before = rows.length;
    try {
      const db = new Database(file, { readonly: true });
      const meta = Object.fromEntries(
        (db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map(
          (r) => [r.key, r.value],
        ),
      );
      assert.equal(meta.schema_version, String(SCHEMA_VERSION));
      assert.equal(meta.legacy_through, String(before));
      const kept = db
        .prepare('SELECT seq, body, hash, ctx, logged FROM records ORDER BY seq')
        .all() as Array<{
        seq: number;
        body: string;
        hash: string;
        ctx: number | null;
        logged: number | null;
      }>;
      db.close();
      assert.deepEqual(
        kept.map((r) => [r.seq, r.body, r.hash, r.ctx, r.logged]),
        rows.map((r) => [r.seq, r.ocsf, r.hash, null, null]),
      );
      // Legacy records read back exactly as schema 1 stored them.
      for (const row of rows) assert.equal(canonicalJson(store.get(row.seq)?.ocsf), row.ocsf);
      const added = store.appendBatch([requestEvent(100), sampleEvents()[3] as WardenEvent]);
      assert.equal(added[0]?.seq, before + 1);
      assert.equal(added[0]?.prevHash, rows[rows.length - 1]?.hash);
      assert.equal(store.verify().ok, true);
      // A newer version's context is recorded for the new records only.
      assert.equal((store.get(before + 1) as Loose).ocsf.metadata.product.version, '0.2.0');
      assert.equal((store.get(1) as Loose).ocsf.metadata.product.version, '0.1.0');
    } finally {
      store.close();
    }
    const status = verifyBothWays(file);
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.equal(status.records, before + 2);
    assert.equal(status.anchor.state, 'match');
    // Opening again does not migrate twice.
    open(file).close();
    assert.equal(verifyBothWays(file).ok, true);
  });
});

test('in a migrated database, tampering with either format is named', () => {
  const cases: Array<[string, (db: Database.Database, legacyThrough: number) => void, number, RegExp]> = [
    [
      'edit a legacy column',
      (db) => db.prepare("UPDATE records SET host = 'x' WHERE seq = 5").run(),
      5,
      /edited/,
    ],
    [
      'edit a new record',
      (db, l) => db.prepare("UPDATE records SET user = 'x' WHERE seq = ?").run(l + 2),
      44,
      /edited/,
    ],
    [
      'edit the event of a new record',
      (db, l) => db.prepare("UPDATE records SET body = replace(body, '/p/', '/q/') WHERE seq = ?").run(l + 1),
      43,
      /edited/,
    ],
    [
      'edit the logged time',
      (db, l) => db.prepare('UPDATE records SET logged = 1 WHERE seq = ?').run(l + 3),
      45,
      /edited/,
    ],
    [
      'turn a new record into a legacy one',
      (db, l) => db.prepare('UPDATE records SET ctx = NULL WHERE seq = ?').run(l + 1),
      43,
      /edited/,
    ],
    [
      'edit the writer context',
      (db) => db.prepare("UPDATE contexts SET body = replace(body, 'devbox', 'other')").run(),
      43,
      /edited/,
    ],
    ['delete the writer context', (db) => db.prepare('DELETE FROM contexts').run(), 43, /edited/],
    [
      'claim fewer legacy records',
      (db) => db.prepare("UPDATE meta SET value = '3' WHERE key = 'legacy_through'").run(),
      4,
      /edited/,
    ],
    ['delete a legacy record', (db) => db.prepare('DELETE FROM records WHERE seq = 20').run(), 20, /missing/],
  ];
  for (const [name, tamper, seq, problem] of cases) {
    withLegacy((file, rows) => {
      const store = open(file);
      store.appendBatch(Array.from({ length: 5 }, (_, i) => requestEvent(200 + i)));
      store.close();
      assert.equal(rows.length, 42);
      const db = new Database(file);
      tamper(db, rows.length);
      db.close();
      const status = verifyBothWays(file);
      assert.equal(status.ok, false, name);
      assert.equal(status.firstBad?.seq, seq, `${name}: ${JSON.stringify(status.firstBad)}`);
      assert.match(status.firstBad?.problem ?? '', problem, name);
    });
  }
});

test('schema 1 rows keep the OCSF object they hashed; schema 2 rows of the same events read as OCSF 1.9', () => {
  withLegacy((legacyFile, rows) => {
    const file = path.join(path.dirname(legacyFile), 'new.db');
    const legacy = open(legacyFile); // migrates in place
    // Same events, device, version and append time as the legacy writer.
    const store = AuditStore.open(file, { device: TEST_DEVICE, version: '0.1.0', now: () => NOW });
    try {
      const appended = store.appendBatch(legacyEvents());
      for (const row of rows) {
        const old = legacy.get(row.seq);
        assert.equal(JSON.stringify(old?.ocsf), row.ocsf, `seq ${row.seq}: the stored object, byte for byte`);
        const record = store.get(row.seq)!;
        const o = record.ocsf as Loose;
        const stored = JSON.parse(row.ocsf) as Loose;
        assert.equal(o.metadata.version, '1.9.0');
        assert.ok(o.metadata.profiles.includes('record_integrity'));
        assert.equal(o.attestation_list[0].fingerprint.value, record.hash);
        for (const key of [
          'class_uid',
          'type_uid',
          'activity_name',
          'severity_id',
          'status_id',
          'message',
          'time',
        ])
          assert.deepEqual(o[key], stored[key], `seq ${row.seq} ${key}`);
        assert.deepEqual(o.unmapped, stored.unmapped, `seq ${row.seq} unmapped`);
        assert.equal(
          JSON.stringify(appended[row.seq - 1]?.ocsf),
          JSON.stringify(o),
          'the record append returns',
        );
      }
      assert.equal(legacy.verify().ok, true);
    } finally {
      store.close();
      legacy.close();
    }
  });
});

test('a record Warden wrote as OCSF 1.3 still verifies, and reads back as the 1.3 object it hashed', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const events = [requestEvent(1), requestEvent(2), requestEvent(3)];
    writeLegacyDatabase(file, events, CTX, NOW, (seq) => (seq === 2 ? OCSF_13_REQUEST_DECIDED : undefined));
    assert.equal(verifyBothWays(file).ok, true, 'read-only');
    const store = open(file);
    try {
      store.appendBatch([requestEvent(4)]);
      assert.equal(store.verify().ok, true, 'after migration and a schema 2 append');
      const old = store.get(2)!.ocsf as Loose;
      assert.equal(JSON.stringify(old), OCSF_13_REQUEST_DECIDED);
      assert.equal(old.metadata.version, '1.3.0');
      assert.equal((store.get(4)!.ocsf as Loose).metadata.version, '1.9.0');
    } finally {
      store.close();
    }
    assert.equal(verifyBothWays(file).ok, true, 'both ways, after the append');
  } finally {
    dispose();
  }
});

test('retention: a schema 1 checkpoint still anchors the chain, and pruning across formats verifies', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const checkpoint: CheckpointEvent = {
      type: 'audit.checkpoint',
      time: iso(50_000),
      user: 'warden',
      reason: 'more than 5 records',
      pruned: { fromSeq: 1, throughSeq: 10, count: 10, lastHash: '', firstTime: T0, lastTime: T0 + 9000 },
    };
    const events = Array.from({ length: 12 }, (_, i) => requestEvent(i + 1));
    writeLegacyDatabase(file, [...events, checkpoint], CTX, NOW);
    assert.equal(verifyBothWays(file).ok, true, 'schema 1 chain starting at a schema 1 checkpoint');
    const store = open(file);
    try {
      assert.equal(store.verify().startSeq, 11);
      store.appendBatch(Array.from({ length: 6 }, (_, i) => requestEvent(i + 50)));
      const result = store.prune({ maxRecords: 4 });
      assert.ok(result.pruned > 3, 'the legacy records and some new ones are pruned');
      const status = store.verify();
      assert.equal(status.ok, true, JSON.stringify(status));
    } finally {
      store.close();
    }
    assert.equal(verifyBothWays(file).ok, true);
  } finally {
    dispose();
  }
});

test('the worker threads confirm schema 1 rows and a mixed chain by themselves (no sequential fallback)', () => {
  withLegacy((file) => {
    const slicesOf = () => {
      const db = new Database(file, { readonly: true });
      const layout = checkReadable(db, file);
      const contexts = layout.contexts
        ? (db.prepare('SELECT id, body FROM contexts').all() as ContextRow[])
        : undefined;
      const last = db.prepare('SELECT max(seq) FROM records').pluck().get() as number;
      db.close();
      return verifySlices(file, layout, 1, last, 0, 2, { contexts, chunkRows: 7 });
    };
    // Several chunks of 7 seqs, linked to each other (inside a thread's runs and between them).
    const chunks = (slices: SliceResult[] | null) => (slices ?? []).reduce((n, s) => n + s.chunks, 0);
    const legacy = slicesOf();
    assert.ok(legacy && chunks(legacy) > 1 && legacy.every((s) => s.ok), JSON.stringify(legacy));
    const store = open(file);
    store.appendBatch(Array.from({ length: 20 }, (_, i) => requestEvent(100 + i)));
    store.close();
    const mixed = slicesOf();
    assert.ok(mixed && chunks(mixed) > 1 && mixed.every((s) => s.ok), JSON.stringify(mixed));
  });
});
