import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { requestEvent, TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import type { WardenEvent } from '../api/index.ts';
import { EventBus } from '../events/index.ts';
import { AuditWriter } from './audit-writer.ts';
import { AuditStore } from './index.ts';

const userAction = (): WardenEvent => ({
  type: 'user.action',
  time: new Date().toISOString(),
  user: 'alice',
  action: 'secret.set',
  target: 'X',
});

async function until<T>(what: string, fn: () => T | undefined | false | null, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('the writer thread commits request records in batches, other events before committed() resolves, in order', async (t) => {
  const tmp = makeTempDir();
  t.after(tmp.dispose);
  const file = path.join(tmp.dir, 'audit.db');
  const errors: unknown[] = [];
  const writer = await AuditWriter.open(file, {
    device: TEST_DEVICE,
    durability: 'normal',
    onError: (e) => errors.push(e),
  });
  t.after(() => writer.close());
  const reader = AuditStore.open(file, { readOnly: true });
  t.after(() => reader.close());
  const bus = new EventBus((e) => errors.push(e));
  writer.attach(bus);
  bus.emit(requestEvent(1));
  bus.emit(requestEvent(2));
  assert.equal(reader.count(), 0, 'queued, not yet sent');
  bus.emit(userAction());
  await writer.committed();
  assert.equal(
    reader.count(),
    3,
    'an acknowledged event is committed, after the queue, when committed() resolves',
  );
  assert.deepEqual(
    reader.query({}, { order: 'asc', limit: 10 }).records.map((r) => r.kind),
    ['request.decided', 'request.decided', 'user.action'],
  );
  bus.emit(requestEvent(3));
  await new Promise((r) => setImmediate(r));
  await until('the batch', () => reader.count() === 4);
  for (let i = 4; i < 50; i++) bus.emit(requestEvent(i));
  writer.close();
  assert.equal(reader.count(), 50, 'closing commits what is queued');
  assert.deepEqual(
    reader.follow(0, {}, 100).map((r) => r.seq),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.equal(reader.verify().ok, true);
  assert.deepEqual(errors, []);
  assert.throws(() => writer.take(userAction()), /closed/);
});

test('a locked database: emit does not block, committed() rejects, the fault is reported and clears after', async (t) => {
  const tmp = makeTempDir();
  t.after(tmp.dispose);
  const file = path.join(tmp.dir, 'audit.db');
  const faults: Array<string | null> = [];
  const errors: unknown[] = [];
  const writer = await AuditWriter.open(file, {
    device: TEST_DEVICE,
    durability: 'normal',
    busyTimeoutMs: 1000,
    onFault: (f) => faults.push(f),
    onError: (e) => errors.push(e),
  });
  t.after(() => writer.close());
  writer.take(userAction());
  await writer.committed();
  const blocker = new Database(file);
  blocker.pragma('busy_timeout = 0');
  blocker.exec('BEGIN EXCLUSIVE');
  try {
    const started = performance.now();
    writer.take(userAction());
    // Far below the 1 s busy timeout: take only queues (a blocking take would wait it out).
    assert.ok(performance.now() - started < 500, 'take returns long before the busy timeout ends');
    // The event loop keeps turning while the writer thread waits on the lock.
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    await assert.rejects(writer.committed(), /locked|busy|cannot/i);
    clearInterval(ticker);
    assert.ok(turns > 0, 'timers ran while the commit was pending');
    assert.ok(errors.length > 0, 'the failure is reported to onError');
    errors.length = 0;
    await until('the fault', () => writer.fault);
    assert.match(String(faults[0]), /./);
    writer.take(requestEvent(1));
    writer.flush();
    await until('the batch error', () => errors.length > 0);
  } finally {
    blocker.exec('ROLLBACK');
    blocker.close();
  }
  writer.take(userAction());
  await writer.committed();
  await until('the recovery', () => writer.fault === null);
  assert.deepEqual(faults.at(-1), null);
  writer.close();
  const reader = AuditStore.open(file, { readOnly: true });
  t.after(() => reader.close());
  assert.equal(reader.count(), 2);
  assert.equal(reader.verify().ok, true);
});

test('a store that cannot be opened fails to open the writer', async () => {
  const tmp = makeTempDir();
  try {
    await assert.rejects(AuditWriter.open(path.join(tmp.dir, 'missing', 'dir', 'audit.db')));
  } finally {
    tmp.dispose();
  }
});

test('the chain stays correct when another process writes in between', async (t) => {
  const tmp = makeTempDir();
  t.after(tmp.dispose);
  const file = path.join(tmp.dir, 'audit.db');
  const writer = await AuditWriter.open(file, { device: TEST_DEVICE, durability: 'normal' });
  t.after(() => writer.close());
  for (let i = 0; i < 100; i++) writer.take(requestEvent(i));
  writer.sync();
  // A standalone proxy recording into the same file moves the head the writer chained onto.
  const other = AuditStore.open(file, {
    device: { ...TEST_DEVICE, hostname: 'proxy-host' },
    durability: 'normal',
  });
  other.appendBatch(Array.from({ length: 10 }, (_, i) => requestEvent(1000 + i)));
  other.close();
  // Several batches in flight after the head moved: each is chained onto the committed head.
  for (let b = 0; b < 4; b++) {
    for (let i = 0; i < 50; i++) writer.take(requestEvent(2000 + b * 50 + i));
    writer.flush();
  }
  writer.sync();
  for (let i = 0; i < 20; i++) writer.take(requestEvent(3000 + i));
  writer.close();
  const reader = AuditStore.open(file, { readOnly: true });
  t.after(() => reader.close());
  assert.equal(reader.count(), 330);
  const status = reader.verify();
  assert.equal(status.ok, true, JSON.stringify(status.firstBad));
  assert.deepEqual(
    reader
      .follow(100, {}, 20)
      .slice(0, 11)
      .map((r) => r.host),
    [...Array.from({ length: 10 }, (_, i) => requestEvent(1000 + i)), requestEvent(2000)].map((e) =>
      e.type === 'request.decided' ? e.host : null,
    ),
  );
});

test('an event that cannot be encoded fails alone, also amid a batch; the chain ahead stays right', async (t) => {
  const tmp = makeTempDir();
  t.after(tmp.dispose);
  const file = path.join(tmp.dir, 'audit.db');
  const errors: Error[] = [];
  const writer = await AuditWriter.open(file, {
    device: TEST_DEVICE,
    durability: 'normal',
    onError: (e) => errors.push(e),
  });
  t.after(() => writer.close());
  for (let i = 0; i < 30; i++) writer.take(requestEvent(i));
  writer.flush();
  // No record shape for this type: encoding throws when it is taken, before any thread.
  writer.take({ type: 'no.such.event', time: new Date().toISOString() } as unknown as WardenEvent);
  await assert.rejects(writer.committed(), /no audit record shape/);
  // A number JSON cannot hold: that record is refused, the others of its batch are written.
  writer.take(requestEvent(30, { durationMs: Number.NaN } as never));
  for (let i = 31; i < 60; i++) writer.take(requestEvent(i));
  writer.take(userAction());
  await writer.committed();
  writer.sync();
  assert.ok(
    errors.some((e) => /cannot hold NaN/.test(e.message)),
    errors.map((e) => e.message).join('; '),
  );
  writer.close();
  const reader = AuditStore.open(file, { readOnly: true });
  t.after(() => reader.close());
  assert.equal(reader.count(), 60);
  assert.equal(reader.verify().ok, true);
});

test('close ends the encoder and writer threads: none is left running', async (t) => {
  const tmp = makeTempDir();
  t.after(tmp.dispose);
  const threads = () => new Set(readdirSync('/proc/self/task'));
  const round = async (name: string) => {
    const before = threads();
    const writer = await AuditWriter.open(path.join(tmp.dir, name), {
      device: TEST_DEVICE,
      durability: 'normal',
    });
    const started = [...threads()].filter((id) => !before.has(id));
    for (let i = 0; i < 100; i++) writer.take(requestEvent(i));
    writer.flush();
    writer.close();
    return started;
  };
  await round('first.db'); // threads started once per process (the thread pool) are not counted
  const started = await round('second.db');
  assert.ok(started.length >= 2, `the writer runs two threads (started: ${started.join(', ')})`);
  await until('both threads to end', () => {
    const now = threads();
    return started.every((id) => !now.has(id));
  });
});
