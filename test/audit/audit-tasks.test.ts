// Verify and export of the audit trail as tasks, through a real daemon's API on a real
// store of 200,000 records: progress (records of the total) on the task board, a second
// verify joining the first, cancel ending the work as `cancelled` with no file left, an
// export's file complete under the daemon's home, and an edited record named through the
// task path.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import type { AuditExportResult, AuditVerifyResult } from '../../supervisor/api/audit-task-types.ts';
import type { TaskView } from '../../supervisor/api/tasks.ts';
import { AuditStore } from '../../supervisor/audit/index.ts';
import { requestEvent, T0, TEST_DEVICE } from '../support/audit/samples.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';

const RECORDS = 200_000;
let d: TestDaemon;

before(async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'warden-audit-tasks-'));
  const store = AuditStore.open(path.join(home, 'audit.db'), { device: TEST_DEVICE, durability: 'normal' });
  for (let i = 0; i < RECORDS; i += 5000)
    store.appendBatch(Array.from({ length: 5000 }, (_, k) => requestEvent(i + k)));
  store.close();
  d = await startTestDaemon({ home });
});
after(async () => {
  await d?.stop();
});

const task = async (id: string): Promise<TaskView | undefined> =>
  (await d.client.call('GET /v1/tasks')).find((t) => t.id === id);

/** Polls the task board until the task ends, keeping every progress it showed. */
async function follow(id: string, onRunning?: (t: TaskView) => Promise<void> | void): Promise<TaskView[]> {
  const seen: TaskView[] = [];
  return until(
    `task ${id} to end`,
    async () => {
      const t = await task(id);
      if (t) seen.push(t);
      if (t?.state === 'running') await onRunning?.(t);
      return t && t.state !== 'running' ? seen : undefined;
    },
    120_000,
  );
}

test('a verify runs as a task with records checked of the total; a second verify joins it', async () => {
  const first = await d.client.call('POST /v1/audit/verify');
  const second = await d.client.call('POST /v1/audit/verify');
  assert.deepEqual(second, { taskId: first.taskId, joined: true });
  const seen = await follow(first.taskId);
  const last = seen.at(-1) as TaskView;
  assert.equal(last.kind, 'audit.verify');
  assert.equal(last.state, 'done');
  assert.equal(last.progress?.unit, 'records');
  assert.ok((last.progress?.total ?? 0) >= RECORDS, JSON.stringify(last.progress));
  assert.equal(last.progress?.done, last.progress?.total);
  assert.match(last.detail ?? '', /^chain ok: \d+ records$/);
  const result = (await d.client.call('GET /v1/audit/verify/:taskId', {
    params: { taskId: first.taskId },
  })) as AuditVerifyResult;
  assert.equal(result.state, 'done');
  assert.equal(result.status?.ok, true, JSON.stringify(result.status?.firstBad));
  assert.ok((result.status?.records ?? 0) >= RECORDS);
  // The verify has ended: the next one is a new task.
  const third = await d.client.call('POST /v1/audit/verify');
  assert.notEqual(third.taskId, first.taskId);
  await follow(third.taskId);
});

test('cancel stops a running verify: the task and its result say cancelled', async () => {
  const { taskId } = await d.client.call('POST /v1/audit/verify');
  let asked = false;
  const seen = await follow(taskId, async (t) => {
    if (!asked && t.cancellable && (t.progress?.done ?? 0) > 0) {
      asked = true;
      await d.client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId } });
    }
  });
  assert.ok(asked, 'progress was seen before the end');
  assert.equal(seen.at(-1)?.state, 'cancelled');
  const result = await d.client.call('GET /v1/audit/verify/:taskId', { params: { taskId } });
  assert.equal(result.state, 'cancelled');
  assert.equal(result.status, undefined);
});

test('an export writes a complete 0600 file under the home; a cancelled one leaves nothing', async () => {
  const since = new Date(T0 + (RECORDS - 5000) * 1000).toISOString();
  const { taskId } = await d.client.call('POST /v1/audit/export', { body: { format: 'jsonl', since } });
  const seen = await follow(taskId);
  assert.equal(seen.at(-1)?.state, 'done');
  const result = (await d.client.call('GET /v1/audit/export/:taskId', {
    params: { taskId },
  })) as AuditExportResult;
  assert.equal(result.state, 'done');
  const file = result.file ?? '';
  assert.equal(path.dirname(file), path.join(d.home, 'exports'));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, result.records);
  assert.ok((result.records ?? 0) >= 5000);
  assert.equal(JSON.parse(lines[0] ?? '{}').seq, RECORDS - 5000 + 1);
  assert.equal(seen.at(-1)?.progress?.done, result.records);

  const before = readdirSync(path.join(d.home, 'exports'));
  const cut = await d.client.call('POST /v1/audit/export', { body: { format: 'ocsf' } });
  let asked = false;
  const ended = await follow(cut.taskId, async (t) => {
    if (!asked && t.cancellable && (t.progress?.done ?? 0) > 0) {
      asked = true;
      await d.client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId: cut.taskId } });
    }
  });
  assert.ok(asked);
  assert.equal(ended.at(-1)?.state, 'cancelled');
  const r = await d.client.call('GET /v1/audit/export/:taskId', { params: { taskId: cut.taskId } });
  assert.equal(r.state, 'cancelled');
  assert.equal(r.file, undefined);
  assert.deepEqual(readdirSync(path.join(d.home, 'exports')), before, 'no file and no .partial left');
});

// Last: it edits the trail.
test('an edited record is named through the verify task', async () => {
  const db = new Database(path.join(d.home, 'audit.db'));
  db.pragma('busy_timeout = 5000');
  db.prepare("UPDATE records SET host = 'evil.example' WHERE seq = ?").run(150_001);
  db.close();
  const { taskId } = await d.client.call('POST /v1/audit/verify');
  const seen = await follow(taskId);
  assert.ok(seen.some((t) => t.step === 'naming the first bad record'));
  assert.equal(seen.at(-1)?.detail, 'chain broken at record 150001');
  const result = await d.client.call('GET /v1/audit/verify/:taskId', { params: { taskId } });
  assert.equal(result.status?.ok, false);
  assert.equal(result.status?.firstBad?.seq, 150_001);
  assert.ok(existsSync(path.join(d.home, 'audit.db')));
});
