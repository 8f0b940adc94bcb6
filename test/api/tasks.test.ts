// Long work through the real daemon's API: a sandbox whose image is missing makes the daemon
// build it (here with a stand-in for `warden image build` that prints its steps and starts
// a long-running tool, as debootstrap would); the build is a task on the event stream (for
// clients that ask with ?tasks=1 only), GET /v1/tasks lists it, a cancel over the API stops
// the whole build (its tool too), removes its scratch folder, and the waiting call gets a
// clear 409 Cancelled. Nothing of it is written to the audit trail.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LiveEvent, TaskView, WardenEvent } from '../../supervisor/api/index.ts';
import { ApiClientError } from '../../supervisor/client/api-client.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';

/** Prints two steps, starts `sleep` (its pid to PIDFILE) and waits for it. */
const SLOW_BUILD = `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const [pidFile] = process.argv.slice(2);
process.stderr.write('image: downloading the kernel\\nimage: making the root filesystem\\n');
fs.writeFileSync(require('node:path').join(process.env.TMPDIR, 'half-made'), 'x');
const tool = spawn('sleep', ['120'], { stdio: 'ignore' });
fs.writeFileSync(pidFile, String(tool.pid));
tool.on('exit', () => process.exit(3));
`;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let d: TestDaemon;
let dir: string;
let pidFile: string;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wtasks-'));
  const script = path.join(dir, 'slow-build.cjs');
  writeFileSync(script, SLOW_BUILD);
  pidFile = path.join(dir, 'tool.pid');
  d = await startTestDaemon({
    daemon: { poolSize: 0, imageBuildCommand: () => [process.execPath, script, pidFile] },
  });
});

after(async () => {
  await d?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('an image build is a task with its steps, and a cancel stops all of it', async () => {
  const live: LiveEvent[] = [];
  const plain: WardenEvent[] = [];
  const abort = new AbortController();
  let opened = 0;
  const onOpen = () => {
    opened++;
  };
  void d.client.events((e) => live.push(e), { tasks: true, signal: abort.signal, onOpen });
  void d.client.events((e) => plain.push(e), { signal: abort.signal, onOpen });
  await until('both streams open', () => opened === 2, 5000);
  try {
    const create = d.client.call('POST /v1/sandboxes', { body: { label: 'needs-an-image' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const tasks = () => live.flatMap((e) => (e.type === 'task.updated' ? [e.task] : []));
    await until('the build reaches its tool', () => existsSync(pidFile), 15_000);
    await until(
      'the build step is on the stream',
      () => tasks().some((t) => t.step === 'making the root filesystem'),
      5000,
    );
    const [listed] = (await d.client.call('GET /v1/tasks')).filter((t: TaskView) => t.state === 'running');
    assert.ok(listed, 'GET /v1/tasks lists the running build');
    assert.equal(listed.kind, 'image.build');
    assert.equal(listed.title, 'Building the minimal guest image');
    assert.equal(listed.user, 'tester');
    assert.equal(listed.cancellable, true);
    const toolPid = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(alive(toolPid), 'the build tool runs');
    const imagesDir = path.join(d.home, 'images');
    assert.equal(readdirSync(imagesDir).filter((n) => n.startsWith('.build-')).length, 1, 'a scratch folder');

    const out = await d.client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId: listed.id } });
    assert.equal(out.task.step, 'cancelling');
    const error = await create;
    assert.ok(error instanceof ApiClientError, `the create fails: ${String(error)}`);
    assert.equal(error.status, 409);
    assert.equal(error.details.name, 'Cancelled');
    assert.match(error.details.message, /Building the minimal guest image: cancelled by a user/);

    await until('the tool is stopped with the build', () => !alive(toolPid), 5000);
    assert.deepEqual(
      readdirSync(imagesDir).filter((n) => n.startsWith('.')),
      [],
      'no scratch or half-made folder is left',
    );
    const ended = tasks()
      .filter((t) => t.id === listed.id)
      .at(-1);
    assert.equal(ended?.state, 'cancelled');
    assert.equal(ended?.cancellable, false);
    assert.ok(ended?.endedAt);

    // Asked again: refused by name, as is a task that never was.
    await assert.rejects(
      d.client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId: listed.id } }),
      (e: ApiClientError) => e.status === 409 && e.details.name === 'TaskNotCancellable',
    );
    await assert.rejects(
      d.client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId: 'task-000000000000' } }),
      (e: ApiClientError) => e.status === 404 && e.details.name === 'TaskNotFound',
    );

    // Tasks are live state: a client that did not ask never saw one, and the trail has none.
    assert.equal(
      plain.some((e) => (e as { type: string }).type === 'task.updated'),
      false,
      'a client without ?tasks=1 gets no task events',
    );
    await d.daemon.auditCommitted();
    const page = await d.client.call('GET /v1/audit', { query: { limit: '1000' } });
    assert.equal(
      page.records.some((r) => JSON.stringify(r).includes(listed.id)),
      false,
      'no audit record names the task',
    );
  } finally {
    abort.abort();
  }
});

test('tasks routes refuse what is not theirs', async () => {
  for (const taskId of ['../../v1/status', 'x'.repeat(5000), '']) {
    await assert.rejects(
      d.client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId } }),
      (e: ApiClientError) => e.status === 404,
      taskId.slice(0, 20),
    );
  }
});
