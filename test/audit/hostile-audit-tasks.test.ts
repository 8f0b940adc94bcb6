// The audit verify and export tasks from the attacker's (and the careless client's) side:
// results and cancels asked for with ids of another kind, of ended or unknown tasks, or
// made up; export bodies that try to pick the file, a format or a time that is not one;
// many verifies at once (they join one task: documented in supervisor/api/audit-task-types.ts);
// more exports at once than the daemon runs (refused with TaskBusy, naming the limit).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { AuditExportRequest } from '../../supervisor/api/audit-task-types.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon();
});
after(async () => {
  await d?.stop();
});

const ended = (taskId: string) =>
  until(
    `task ${taskId} to end`,
    async () => {
      const t = (await d.client.call('GET /v1/tasks')).find((x) => x.id === taskId);
      return t && t.state !== 'running' ? t : undefined;
    },
    60_000,
  );

test('verifies asked for at once join one task', async () => {
  const started = await Promise.all(Array.from({ length: 5 }, () => d.client.call('POST /v1/audit/verify')));
  const ids = new Set(started.map((s) => s.taskId));
  assert.equal(ids.size, 1);
  assert.equal(started.filter((s) => s.joined).length, 4);
  const [id] = ids as Set<string>;
  await ended(id as string);
  assert.equal((await d.client.call('GET /v1/tasks')).filter((t) => t.kind === 'audit.verify').length, 1);
});

test('ids of another kind, of ended tasks, or made up are refused by name', async () => {
  const verify = await d.client.call('POST /v1/audit/verify');
  await ended(verify.taskId);
  const exported = await d.client.call('POST /v1/audit/export', { body: { format: 'jsonl' } });
  await ended(exported.taskId);
  await assert.rejects(d.client.call('GET /v1/audit/export/:taskId', { params: { taskId: verify.taskId } }), {
    name: 'TaskNotFound',
  });
  await assert.rejects(
    d.client.call('GET /v1/audit/verify/:taskId', { params: { taskId: exported.taskId } }),
    {
      name: 'TaskNotFound',
    },
  );
  await assert.rejects(
    d.client.call('GET /v1/policy/replay/:taskId', { params: { taskId: verify.taskId } }),
    {
      name: 'TaskNotFound',
    },
  );
  for (const taskId of ['task-000000000000', '../../audit.db', "x' OR 1=1 --", '%00']) {
    await assert.rejects(d.client.call('GET /v1/audit/verify/:taskId', { params: { taskId } }), {
      name: 'TaskNotFound',
    });
    await assert.rejects(d.client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId } }), {
      name: 'TaskNotFound',
    });
  }
  await assert.rejects(
    d.client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId: verify.taskId } }),
    (e: Error) => e.name === 'TaskNotCancellable' && /already ended \(done\)/.test(e.message),
  );
});

test('an export body cannot pick the file, and a format or time that is not one is refused', async () => {
  const call = (body: unknown) =>
    d.client.call('POST /v1/audit/export', { body: body as AuditExportRequest });
  for (const body of [
    { format: 'jsonl', out: '/tmp/warden-hostile-export' },
    { format: 'jsonl', file: '../../.bashrc' },
    { format: 'csv' },
    { format: 'jsonl', since: 'x'.repeat(65) },
    {},
  ]) {
    await assert.rejects(call(body), { name: 'BadRequest' }, JSON.stringify(body));
  }
  assert.equal(existsSync('/tmp/warden-hostile-export'), false);
  for (const since of ['yesterday', "1d'; DROP TABLE records --"]) {
    await assert.rejects(
      call({ format: 'jsonl', since }),
      (e: Error) => e.name === 'BadRequest' && /^since: cannot read the time/.test(e.message),
    );
  }
  assert.equal(
    (await d.client.call('GET /v1/tasks')).filter((t) => t.kind === 'audit.export' && t.state === 'running')
      .length,
    0,
  );
});

test('more exports at once than the daemon runs are refused with TaskBusy, naming the limit', async () => {
  const asked = await Promise.allSettled(
    Array.from({ length: 3 }, () => d.client.call('POST /v1/audit/export', { body: { format: 'ocsf' } })),
  );
  const refused = asked.filter((a) => a.status === 'rejected');
  assert.equal(refused.length, 1, JSON.stringify(asked));
  const error = (refused[0] as PromiseRejectedResult).reason as Error & { hint?: string };
  assert.equal(error.name, 'TaskBusy');
  assert.match(error.message, /at most 2 at once/);
  for (const a of asked) if (a.status === 'fulfilled') await ended(a.value.taskId);
});
