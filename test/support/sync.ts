// Helpers for the sync link tests: a daemon with fast sync timings enrolled with a TestHub,
// records appended through the daemon's bus, waits, and a same-user rewrite of the chain.

import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { SyncStatus } from '../../supervisor/api/sync-types.ts';
import { type ChainRow, rowHash } from '../../supervisor/audit/index.ts';
import { userActionEvent } from '../../supervisor/events/index.ts';
import { startTestDaemon, type TestDaemon } from './daemon.ts';
import { TestHub } from './test-hub.ts';

export const FAST_SYNC = {
  heartbeatMs: 400,
  batchDelayMs: 50,
  pollMs: 100,
  timeoutMs: 3000,
  retry: { baseMs: 20, capMs: 300 },
  parkMs: 400,
};

export async function syncDaemon(home?: string): Promise<TestDaemon> {
  return startTestDaemon({ ...(home ? { home } : {}), daemon: { poolSize: 0, sync: FAST_SYNC } });
}

export async function hubAndDaemon(): Promise<{ hub: TestHub; d: TestDaemon; enrollment: string }> {
  const hub = await new TestHub().listen();
  const d = await syncDaemon();
  const enrollment = hub.enrollment();
  await d.client.call('POST /v1/sync/enroll', { body: { enrollment } });
  return { hub, d, enrollment };
}

/** Emits `count` user actions and returns once they are committed (the writer is asynchronous). */
export async function append(d: TestDaemon, count: number, label = 'x'): Promise<void> {
  for (let i = 0; i < count; i++)
    d.daemon.bus.emit(userActionEvent('tester', 'test.append', `${label}-${i}`));
  await d.daemon.auditCommitted();
}

export async function waitFor<T>(
  what: string,
  get: () => Promise<T> | T,
  ok: (v: T) => boolean,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await get();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function status(d: TestDaemon): Promise<SyncStatus> {
  return d.client.call('GET /v1/sync/status');
}

export function synced(d: TestDaemon): Promise<SyncStatus> {
  return waitFor(
    'the hub to acknowledge the head',
    () => status(d),
    (s) => s.headSeq !== null && s.acknowledgedSeq === s.headSeq,
  );
}

/**
 * What a user with the device's own account can do while the daemon is stopped: change the
 * record at `seq`, recompute every later hash, and delete the anchor (the next open writes a
 * fresh one from the forged head). Local verify then passes.
 */
export function rewriteChain(file: string, seq: number): void {
  const db = new Database(file);
  const rows = db
    .prepare(
      `SELECT r.seq, r.time, r.kind, r.sandbox_id, r.user, r.host, r.outcome, r.body, c.body AS ctx, r.logged, r.prev_hash
       FROM records r LEFT JOIN contexts c ON c.id = r.ctx WHERE r.seq >= ? ORDER BY r.seq`,
    )
    .all(seq) as ChainRow[];
  const update = db.prepare('UPDATE records SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?');
  let prev = rows[0]!.prev_hash;
  db.transaction(() => {
    for (const row of rows) {
      const body = row.seq === seq ? row.body.replace('test.append', 'test.erased') : row.body;
      const hash = rowHash({ ...row, body, prev_hash: prev });
      update.run(body, prev, hash, row.seq);
      prev = hash;
    }
  })();
  db.close();
  rmSync(`${file}.anchor`, { force: true });
}
