// Failure behaviour, for real: a database locked by another process and a full disk.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { requestEvent, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { AuditWriteError } from './errors.ts';
import { AuditStore } from './store.ts';

test('a database locked by another connection: append throws AuditWriteError, fault set, then cleared', () => {
  const { dir, dispose } = makeTempDir();
  const file = path.join(dir, 'audit.db');
  const faults: Array<string | null> = [];
  const store = AuditStore.open(file, {
    device: TEST_DEVICE,
    busyTimeoutMs: 50,
    onFault: (f) => faults.push(f),
  });
  const other = new Database(file);
  try {
    store.append(requestEvent(1));
    assert.equal(store.fault, null);
    other.exec('BEGIN EXCLUSIVE');
    assert.throws(
      () => store.append(requestEvent(2)),
      (e: unknown) => e instanceof AuditWriteError && e.code.startsWith('SQLITE_BUSY'),
    );
    assert.match(store.fault ?? '', /locked by another process .*every governed request is denied/);
    assert.equal(faults.length, 1);
    other.exec('COMMIT');
    assert.equal(store.append(requestEvent(3)).seq, 2, 'the failed event was not recorded');
    assert.equal(store.fault, null);
    assert.deepEqual(faults.slice(1), [null]);
    assert.equal(store.verify().ok, true);
  } finally {
    other.close();
    store.close();
    dispose();
  }
});

test('a full disk (real tmpfs): append fails closed, nothing half-written, recovers when space returns', (t) => {
  const { dir, dispose } = makeTempDir();
  const mnt = path.join(dir, 'small');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    dispose();
    t.skip('cannot mount a tmpfs here (needs root); the max_page_count test covers SQLITE_FULL');
    return;
  }
  const file = path.join(mnt, 'audit.db');
  let store: AuditStore | null = null;
  try {
    writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(256 * 1024));
    store = AuditStore.open(file, { device: TEST_DEVICE });
    let error: unknown;
    let written = 0;
    for (let i = 0; i < 10_000 && !error; i++) {
      try {
        store.appendBatch(Array.from({ length: 20 }, (_, k) => requestEvent(i * 20 + k)));
        written += 20;
      } catch (e) {
        error = e;
      }
    }
    assert.ok(error instanceof AuditWriteError, String(error));
    assert.match(error.code, /SQLITE_FULL|SQLITE_IOERR/);
    assert.match(store.fault ?? '', /cannot be written/);
    assert.equal(store.count(), written, 'the failed batch left nothing behind');
    rmSync(path.join(mnt, 'filler'));
    store.append(requestEvent(99_999));
    assert.equal(store.fault, null);
    assert.equal(store.count(), written + 1);
    const status = store.verify();
    assert.equal(status.ok, true, JSON.stringify(status));
  } finally {
    store?.close();
    execFileSync('umount', [mnt]);
    dispose();
  }
});

test('a database at its size limit (max_page_count): SQLITE_FULL, and retention frees room', () => {
  const { dir, dispose } = makeTempDir();
  const store = AuditStore.open(path.join(dir, 'audit.db'), { device: TEST_DEVICE, maxPageCount: 120 });
  try {
    let error: unknown;
    for (let i = 0; i < 1000 && !error; i++) {
      try {
        store.append(requestEvent(i));
      } catch (e) {
        error = e;
      }
    }
    assert.ok(error instanceof AuditWriteError);
    assert.equal(error.code, 'SQLITE_FULL');
    assert.match(store.fault ?? '', /disk \(or database size limit\) is full/);
    const before = store.count();
    const pruned = store.prune({ maxRecords: Math.floor(before / 2) });
    assert.ok(pruned.pruned > 0);
    store.append(requestEvent(5000));
    assert.equal(store.fault, null);
    assert.equal(store.verify().ok, true);
  } finally {
    store.close();
    dispose();
  }
});
