import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Loose } from '../../test/support/audit/samples.ts';
import { requestEvent, sampleEvents, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { EventBus } from '../events/bus.ts';
import { readAnchor } from './anchor.ts';
import { canonicalJsonReference } from './canonical.ts';
import { GENESIS_HASH, rowHash } from './chain.ts';
import { AuditSchemaError, AuditWriteError } from './errors.ts';
import { SCHEMA_VERSION } from './schema.ts';
import { AuditStore } from './store.ts';

function withStore(fn: (store: AuditStore, file: string) => void, options = {}) {
  const { dir, dispose } = makeTempDir();
  const file = path.join(dir, 'audit.db');
  const store = AuditStore.open(file, { device: TEST_DEVICE, version: '0.1.0', ...options });
  try {
    fn(store, file);
  } finally {
    store.close();
    dispose();
  }
}

test('open creates a WAL database with a schema version and incremental auto-vacuum; durable mode uses synchronous=FULL; statement journals in memory', () => {
  withStore((store, file) => {
    const db = new Database(file, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('auto_vacuum', { simple: true }), 2, 'incremental auto-vacuum');
    assert.equal(
      (db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value,
      String(SCHEMA_VERSION),
    );
    db.close();
    assert.equal(store.durability, 'durable');
    assert.equal((statSync(`${file}.anchor`).mode & 0o777).toString(8), '600');
  });
  const settings = (durability: 'durable' | 'normal') => {
    let result: unknown;
    withStore(
      (store) => {
        result = store.settings();
      },
      { durability },
    );
    return result;
  };
  assert.deepEqual(settings('durable'), { journalMode: 'wal', synchronous: 2, tempStore: 2 });
  assert.deepEqual(settings('normal'), { journalMode: 'wal', synchronous: 1, tempStore: 2 });
});

test('every event type is recorded with the right columns, chained from genesis', () => {
  withStore((store) => {
    const events = sampleEvents();
    const records = events.map((e) => store.append(e));
    assert.deepEqual(
      records.map((r) => r.seq),
      events.map((_, i) => i + 1),
    );
    assert.equal(records[0]?.prevHash, GENESIS_HASH);
    for (let i = 1; i < records.length; i++) assert.equal(records[i]?.prevHash, records[i - 1]?.hash);
    for (const r of records) {
      const stored = store.get(r.seq);
      assert.ok(stored);
      // The returned record is what was stored (undefined members are not written).
      assert.deepEqual(stored, JSON.parse(JSON.stringify(r)));
      assert.equal(stored.ocsf.metadata && (stored.ocsf.metadata as { uid: string }).uid, String(r.seq));
    }
    const byKind = new Map(records.map((r) => [r.kind, r]));
    assert.deepEqual(
      [byKind.get('request.decided')?.host, byKind.get('request.decided')?.outcome],
      ['api.github.com', 'allowed'],
    );
    assert.equal(byKind.get('approval.expired')?.outcome, 'timed_out');
    assert.equal(byKind.get('policy.changed')?.sandboxId, null);
    assert.equal(byKind.get('secret.injected')?.sandboxId, 'sb-1');
    assert.equal(store.count(), events.length);
    assert.deepEqual(store.head(), { seq: records.length, hash: records[records.length - 1]?.hash });
    const anchor = readAnchor(store.anchorFile);
    assert.equal(anchor.state, 'ok');
    if (anchor.state === 'ok') assert.equal(anchor.anchor.headSeq, records.length);
    assert.equal(store.verify().ok, true);
  });
});

test('the stored hash is sha256 over the canonical row (recomputed independently)', () => {
  withStore((store, file) => {
    store.appendBatch([requestEvent(1), requestEvent(2)]);
    const db = new Database(file, { readonly: true });
    const rows = db
      .prepare('SELECT r.*, c.body AS ctx_body FROM records r JOIN contexts c ON c.id = r.ctx')
      .all() as Array<Record<string, Loose>>;
    assert.equal(rows.length, 2);
    for (const row of rows) {
      // The definition: canonical JSON of the record with its JSON parts parsed.
      const canonical = canonicalJsonReference({
        ctx: JSON.parse(row.ctx_body),
        event: JSON.parse(row.body),
        host: row.host,
        kind: row.kind,
        logged: row.logged,
        outcome: row.outcome,
        prev_hash: row.prev_hash,
        sandbox_id: row.sandbox_id,
        seq: row.seq,
        time: row.time,
        user: row.user,
      });
      assert.equal(
        createHash('sha256')
          .update(row.prev_hash + canonical)
          .digest('hex'),
        row.hash,
      );
      assert.equal(rowHash({ ...row, ctx: row.ctx_body } as Loose), row.hash);
    }
    db.close();
  });
});

test('appendBatch commits all events in one transaction; records survive reopen', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const store = AuditStore.open(file, { device: TEST_DEVICE });
    const records = store.appendBatch(Array.from({ length: 50 }, (_, i) => requestEvent(i)));
    assert.equal(records.length, 50);
    store.close();
    const again = AuditStore.open(file, { device: TEST_DEVICE });
    assert.equal(again.count(), 50);
    assert.equal(again.append(requestEvent(50)).seq, 51);
    assert.equal(again.verify().ok, true);
    again.close();
  } finally {
    dispose();
  }
});

test('attach records every event the bus emits and the disposer stops it', () => {
  withStore((store) => {
    const errors: unknown[] = [];
    const bus = new EventBus((error) => errors.push(error));
    const dispose = store.attach(bus);
    for (const e of sampleEvents().slice(0, 3)) bus.emit(e);
    assert.equal(store.count(), 3);
    dispose();
    bus.emit(sampleEvents()[3]!);
    assert.equal(store.count(), 3);
    assert.deepEqual(errors, []);
  });
});

test('a write failure reaches the bus onError as an AuditWriteError', () => {
  withStore((store) => {
    const errors: unknown[] = [];
    const bus = new EventBus((error) => errors.push(error));
    store.attach(bus);
    store.close();
    bus.emit(sampleEvents()[0]!);
    assert.ok(errors[0] instanceof AuditWriteError);
  });
});

test('no secret value reaches the database file, even one a producer wrongly attaches', () => {
  const secret = 'ghp_R3alS3cretValue0123456789abcdefXYZ';
  withStore((store, file) => {
    for (const e of sampleEvents())
      store.append({ ...e, value: secret, headers: { authorization: secret } } as never);
    store.close();
    for (const f of [file, `${file}-wal`, `${file}.anchor`]) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(f);
      } catch {
        continue;
      }
      assert.equal(bytes.includes(Buffer.from(secret)), false, f);
    }
    // The secret *name* is recorded.
    assert.ok(readFileSync(file).includes(Buffer.from('GITHUB_TOKEN')));
  });
});

test('a database from a newer schema is refused with a clear error', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    AuditStore.open(file).close();
    const db = new Database(file);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SCHEMA_VERSION + 1));
    db.close();
    assert.throws(
      () => AuditStore.open(file),
      (e: unknown) => {
        assert.ok(e instanceof AuditSchemaError);
        assert.match(
          e.message,
          new RegExp(`schema version ${SCHEMA_VERSION + 1}; this Warden understands up to ${SCHEMA_VERSION}`),
        );
        return true;
      },
    );
    assert.throws(() => AuditStore.open(file, { readOnly: true }), AuditSchemaError);
  } finally {
    dispose();
  }
});

test('read-only: a missing database is an error, writes are refused', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    assert.throws(() => AuditStore.open(file, { readOnly: true }));
    AuditStore.open(file).close();
    const ro = AuditStore.open(file, { readOnly: true });
    assert.throws(
      () => ro.append(sampleEvents()[0]!),
      (e: unknown) => e instanceof AuditWriteError && e.code === 'READONLY',
    );
    assert.equal(ro.verify().ok, true);
    ro.close();
  } finally {
    dispose();
  }
});

test('a lone surrogate in an indexed column is stored as U+FFFD and the chain still verifies', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
    const [record] = store.appendBatch([requestEvent(1, { host: 'bad\ud800host', user: 'u\udc00' })]);
    assert.equal(record?.host, 'bad\ufffdhost');
    assert.equal(store.get(1)?.host, 'bad\ufffdhost');
    assert.equal(store.verify().ok, true);
    store.close();
  } finally {
    dispose();
  }
});

test('a malformed event is refused before the write: nothing recorded, no storage fault', () => {
  withStore((store) => {
    store.append(requestEvent(1));
    assert.throws(() => store.appendBatch([requestEvent(2), { type: 'nope', time: '' } as never]), TypeError);
    assert.throws(() => store.append(requestEvent(3, { durationMs: Number.NaN })), TypeError);
    assert.equal(store.fault, null);
    assert.equal(store.count(), 1);
    assert.equal(store.append(requestEvent(4)).seq, 2);
    assert.equal(store.verify().ok, true);
  });
});
