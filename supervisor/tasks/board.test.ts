import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WardenError } from '../api/errors.ts';
import type { TaskEvent } from '../api/tasks.ts';
import { KEEP_ENDED, runTask, TaskBoard, UPDATE_MS } from './board.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a task is told at start and end at once, its progress coalesced', async () => {
  const board = new TaskBoard();
  const seen: TaskEvent[] = [];
  board.subscribe((e) => seen.push(e));
  const t = board.start({ kind: 'agent.install', title: 'Installing x', user: 'ana', cancellable: true });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.task.state, 'running');
  for (let i = 1; i <= 100; i++) t.progress({ done: i, unit: 'requests' });
  t.step('npm install x@latest');
  assert.equal(seen.length, 1, 'updates wait for the coalescing timer');
  await sleep(UPDATE_MS + 50);
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[1]!.task.progress, { done: 100, unit: 'requests' });
  assert.equal(seen[1]!.task.step, 'npm install x@latest');
  t.done();
  assert.equal(seen.length, 3);
  assert.equal(seen[2]!.task.state, 'done');
  assert.equal(seen[2]!.task.cancellable, false);
  t.step('after the end');
  t.fail(new Error('after the end'));
  await sleep(UPDATE_MS + 50);
  assert.equal(seen.length, 3, 'nothing is told after the end');
  assert.equal(board.list()[0]!.state, 'done');
});

test('cancel aborts the work, which ends cancelled; runTask throws Cancelled', async () => {
  const board = new TaskBoard();
  let started!: () => void;
  const ready = new Promise<void>((r) => {
    started = r;
  });
  const run = runTask(
    board,
    { kind: 'image.build', title: 'Building', user: 'ana', cancellable: true },
    (task) => {
      started();
      return new Promise((_resolve, reject) =>
        task.signal.addEventListener('abort', () => reject(new Error('killed'))),
      );
    },
  );
  await ready;
  const id = board.list()[0]!.id;
  const view = board.cancel(id);
  assert.equal(view.step, 'cancelling');
  await assert.rejects(run, (e: unknown) => e instanceof WardenError && e.name === 'Cancelled');
  const ended = board.list()[0]!;
  assert.equal(ended.state, 'cancelled');
  assert.equal(ended.error, undefined, 'a cancel is not a failure');
  assert.throws(
    () => board.cancel(id),
    (e: unknown) => (e as WardenError).name === 'TaskNotCancellable',
  );
  assert.throws(
    () => board.cancel('task-nope'),
    (e: unknown) => (e as WardenError).name === 'TaskNotFound',
  );
});

test('work that cannot stop refuses a cancel with the step it is at', () => {
  const board = new TaskBoard();
  const t = board.start({ kind: 'agent.install', title: 'Installing x', user: 'ana', cancellable: true });
  t.setCancellable(false);
  t.step('pinning');
  assert.throws(
    () => board.cancel(t.id),
    (e: unknown) =>
      (e as WardenError).name === 'TaskNotCancellable' && /cannot be cancelled/.test((e as Error).message),
  );
  assert.equal(t.signal.aborted, false);
  t.fail(new Error('disk full'));
  const v = board.list()[0]!;
  assert.equal(v.state, 'failed');
  assert.equal(v.error, 'disk full');
});

test('the board keeps the newest ended tasks and lists running ones first', () => {
  const board = new TaskBoard();
  const running = board.start({ kind: 'agent.install', title: 'still going', user: 'ana' });
  for (let i = 0; i < KEEP_ENDED + 5; i++)
    board.start({ kind: 'image.build', title: `b${i}`, user: 'ana' }).done();
  const list = board.list();
  assert.equal(list.length, KEEP_ENDED + 1);
  assert.equal(list[0]!.id, running.id);
  assert.equal(list[1]!.title, `b${KEEP_ENDED + 4}`, 'newest ended first');
  running.done();
});

test('long text is clipped and a failing listener does not stop the work', () => {
  const board = new TaskBoard();
  board.subscribe(() => {
    throw new Error('listener broke');
  });
  const t = board.start({ kind: 'agent.install', title: 'x'.repeat(5000), user: 'ana' });
  assert.ok(board.list()[0]!.title.length <= 300);
  t.done();
  assert.equal(board.list()[0]!.state, 'done');
});
