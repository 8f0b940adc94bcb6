import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Loose } from '../../test/support/audit/samples.ts';
import { requestEvent, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import type { AuditChainStatus } from '../api/audit-types.ts';
import { rowHash } from './chain.ts';
import { AuditStore } from './store.ts';

/** A closed database of `n` records; `tamper` edits it raw; returns the verify result. */
function scenario(n: number, tamper: (db: Database.Database, file: string) => void): AuditChainStatus {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
    store.appendBatch(Array.from({ length: n }, (_, i) => requestEvent(i + 1)));
    assert.equal(store.verify().ok, true, 'intact before tampering');
    store.close();
    const db = new Database(file);
    tamper(db, file);
    db.close();
    return verifyBothWays(file);
  } finally {
    dispose();
  }
}

/**
 * Verify on the calling thread and with worker threads (forced even for a small chain);
 * both must reach the same verdict, naming the same record.
 */
function verifyBothWays(file: string): AuditChainStatus {
  const results = [0, 2, 3].map((threads) => {
    const ro = AuditStore.open(file, { readOnly: true, verifyThreads: threads, verifyParallelMin: 0 });
    try {
      const { durationMs: _, ...status } = ro.verify();
      return status as AuditChainStatus;
    } finally {
      ro.close();
    }
  });
  assert.deepEqual(results[1], results[0], 'two worker threads agree with the sequential walk');
  assert.deepEqual(results[2], results[0], 'three worker threads agree with the sequential walk');
  return results[0] as AuditChainStatus;
}

function broken(status: AuditChainStatus, seq: number, problem: RegExp) {
  assert.equal(status.ok, false, JSON.stringify(status));
  assert.equal(status.firstBad?.seq, seq, JSON.stringify(status.firstBad));
  assert.match(status.firstBad?.problem ?? '', problem);
}

test('an untouched chain verifies and matches its anchor', () => {
  const status = scenario(20, () => {});
  assert.equal(status.ok, true);
  assert.equal(status.records, 20);
  assert.equal(status.anchor.state, 'match');
  assert.equal(status.head?.seq, 20);
  assert.equal(status.startSeq, 1);
});

test('an edited field inside the stored event is detected at that record', () => {
  const status = scenario(20, (db) => {
    const row = db.prepare('SELECT body FROM records WHERE seq = 5').get() as { body: string };
    db.prepare('UPDATE records SET body = ? WHERE seq = 5').run(row.body.replace('"alice"', '"mallory"'));
  });
  broken(status, 5, /edited/);
});

test('an edited append time or writer context is detected', () => {
  broken(
    scenario(20, (db) => db.prepare('UPDATE records SET logged = logged + 1 WHERE seq = 7').run()),
    7,
    /edited/,
  );
  broken(
    scenario(20, (db) => db.prepare("UPDATE contexts SET body = replace(body, 'devbox', 'elsewhere')").run()),
    1,
    /edited/,
  );
  broken(
    scenario(20, (db) => db.prepare('UPDATE records SET ctx = NULL WHERE seq = 3').run()),
    3,
    /edited/,
  );
});

test('an edited indexed column (outcome) is detected', () => {
  const status = scenario(20, (db) =>
    db.prepare("UPDATE records SET outcome = 'allowed' WHERE seq = 10").run(),
  );
  broken(status, 10, /edited/);
});

test('a deleted record in the middle is detected and named', () => {
  const status = scenario(20, (db) => db.prepare('DELETE FROM records WHERE seq = 10').run());
  broken(status, 10, /missing \(deleted\)/);
});

test('a deleted first record is detected (no checkpoint accounts for it)', () => {
  const status = scenario(20, (db) => db.prepare('DELETE FROM records WHERE seq = 1').run());
  broken(status, 1, /no retention checkpoint/);
});

test('two swapped records are detected', () => {
  const status = scenario(20, (db) => {
    const cols = 'time, kind, sandbox_id, user, host, outcome, body, prev_hash, hash, ctx, logged';
    const a = db.prepare(`SELECT ${cols} FROM records WHERE seq = 4`).get() as Record<string, unknown>;
    const b = db.prepare(`SELECT ${cols} FROM records WHERE seq = 5`).get() as Record<string, unknown>;
    const set = db.prepare(
      'UPDATE records SET time=@time, kind=@kind, sandbox_id=@sandbox_id, user=@user, host=@host, outcome=@outcome, body=@body, prev_hash=@prev_hash, hash=@hash, ctx=@ctx, logged=@logged WHERE seq=@seq',
    );
    set.run({ ...b, seq: 4 });
    set.run({ ...a, seq: 5 });
  });
  broken(status, 4, /prev_hash does not match/);
});

test('a forged row with a made-up hash is detected', () => {
  const status = scenario(20, (db) => {
    const head = db.prepare('SELECT * FROM records WHERE seq = 20').get() as Record<string, unknown>;
    db.prepare(
      'INSERT INTO records VALUES (21, @time, @kind, @sandbox_id, @user, @host, @outcome, @body, @hash, @forged, @ctx, @logged)',
    ).run({ ...head, forged: 'f'.repeat(64) });
  });
  broken(status, 21, /edited/);
});

test('a forged row inserted in the middle with a correctly computed hash is detected', () => {
  const status = scenario(20, (db) => {
    for (let seq = 20; seq >= 8; seq--) db.prepare('UPDATE records SET seq = seq + 1 WHERE seq = ?').run(seq);
    const prev = db.prepare('SELECT hash FROM records WHERE seq = 7').pluck().get() as string;
    const template = db.prepare('SELECT * FROM records WHERE seq = 9').get() as Record<string, Loose>;
    const forged: Record<string, Loose> = {
      ...template,
      seq: 8,
      prev_hash: prev,
      body: template.body.replace('"allowed"', '"denied"'),
    };
    const ctx = db.prepare('SELECT body FROM contexts WHERE id = ?').pluck().get(template.ctx);
    forged.hash = rowHash({ ...forged, ctx } as never);
    db.prepare(
      'INSERT INTO records VALUES (@seq, @time, @kind, @sandbox_id, @user, @host, @outcome, @body, @prev_hash, @hash, @ctx, @logged)',
    ).run(forged);
  });
  broken(status, 9, /prev_hash does not match/);
});

test('truncation (the newest records removed) is detected against the anchor', () => {
  const status = scenario(20, (db) => db.prepare('DELETE FROM records WHERE seq > 15').run());
  broken(status, 16, /anchor records head seq 20 .* truncated or an older copy/);
});

test('restoring an older copy of the database is detected against the anchor', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    let store = AuditStore.open(file, { device: TEST_DEVICE });
    store.appendBatch(Array.from({ length: 10 }, (_, i) => requestEvent(i)));
    store.close();
    copyFileSync(file, path.join(dir, 'backup.db'));
    store = AuditStore.open(file, { device: TEST_DEVICE });
    store.appendBatch(Array.from({ length: 10 }, (_, i) => requestEvent(i + 10)));
    store.close();
    for (const f of [`${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    copyFileSync(path.join(dir, 'backup.db'), file);
    const status = verifyBothWays(file);
    broken(status, 11, /older copy of the database was restored/);
  } finally {
    dispose();
  }
});

test('a different database of the same length put in place is detected (anchor head hash)', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const other = path.join(dir, 'other.db');
    for (const [f, offset] of [
      [file, 0],
      [other, 100],
    ] as const) {
      const s = AuditStore.open(f, { device: TEST_DEVICE });
      s.appendBatch(Array.from({ length: 10 }, (_, i) => requestEvent(i + offset)));
      s.close();
    }
    copyFileSync(other, file);
    const status = verifyBothWays(file);
    broken(status, 10, /does not match the head hash in the anchor/);
  } finally {
    dispose();
  }
});

test('a missing anchor fails verification; an anchor that lags is reported but not a break', () => {
  const missing = scenario(5, (_db, file) => rmSync(`${file}.anchor`));
  broken(missing, 5, /anchor file is missing/);
  assert.equal(missing.anchor.state, 'missing');

  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const store = AuditStore.open(file, { device: TEST_DEVICE });
    store.appendBatch(Array.from({ length: 5 }, (_, i) => requestEvent(i)));
    const old = readFileSync(`${file}.anchor`);
    store.appendBatch(Array.from({ length: 3 }, (_, i) => requestEvent(i + 5)));
    store.close();
    writeFileSync(`${file}.anchor`, old);
    const ro = AuditStore.open(file, { readOnly: true });
    const status = ro.verify();
    ro.close();
    assert.equal(status.ok, true);
    assert.deepEqual(status.anchor, { state: 'behind', headSeq: 5, count: 5, unanchored: 3 });
  } finally {
    dispose();
  }
});

test('a torn anchor slot falls back to the other slot; both torn is a break', () => {
  const oneTorn = scenario(6, (_db, file) => {
    const bytes = readFileSync(`${file}.anchor`);
    bytes.fill(0x41, 10, 60); // spoil the first slot
    writeFileSync(`${file}.anchor`, bytes);
  });
  assert.equal(oneTorn.ok, true, JSON.stringify(oneTorn));
  const bothTorn = scenario(6, (_db, file) => {
    const bytes = readFileSync(`${file}.anchor`);
    bytes.fill(0x41, 10, 60);
    bytes.fill(0x41, 266, 316);
    writeFileSync(`${file}.anchor`, bytes);
  });
  broken(bothTorn, 6, /anchor file is unreadable/);
});

test('a large chain is verified by worker threads, and a break in any slice is still named', () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
    store.appendBatch(Array.from({ length: 3000 }, (_, i) => requestEvent(i + 1)));
    store.close();
    const ok = verifyBothWays(file);
    assert.equal(ok.ok, true);
    assert.equal(ok.records, 3000);
    for (const seq of [1, 1000, 1500, 1501, 2999, 3000]) {
      const db = new Database(file);
      const original = db.prepare('SELECT outcome FROM records WHERE seq = ?').pluck().get(seq);
      db.prepare("UPDATE records SET outcome = 'error' WHERE seq = ?").run(seq);
      db.close();
      broken(verifyBothWays(file), seq, /edited/);
      const fix = new Database(file);
      fix.prepare('UPDATE records SET outcome = ? WHERE seq = ?').run(original, seq);
      fix.close();
    }
    assert.equal(verifyBothWays(file).ok, true);
  } finally {
    dispose();
  }
});
