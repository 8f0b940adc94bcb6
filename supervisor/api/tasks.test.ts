import assert from 'node:assert/strict';
import { test } from 'node:test';
import { elapsedText, type TaskView, taskEndedText, taskStepText } from './tasks.ts';

const base: TaskView = {
  id: 't-1',
  kind: 'agent.install',
  title: 'Installing codex',
  state: 'running',
  user: 'u',
  startedAt: '2026-12-07T10:00:00.000Z',
  cancellable: true,
};
const at = (s: number) => Date.parse(base.startedAt) + s * 1000;

test('every client words a task the same: step, progress, detail, elapsed', () => {
  assert.equal(taskStepText(base, at(3)), 'starting · 3 s');
  assert.equal(
    taskStepText({ ...base, step: 'npm install', progress: { done: 12, unit: 'requests' } }, at(61)),
    'npm install · 12 requests · 1 min 1 s',
  );
  assert.equal(
    taskStepText(
      { ...base, step: 'verify', progress: { done: 5, total: 10, unit: 'records' }, detail: '2 MB' },
      at(0),
    ),
    'verify · 5 of 10 records · 2 MB · 0 s',
  );
  assert.equal(elapsedText(base.startedAt, at(-5)), '0 s', 'a clock behind the start is not negative');
});

test('an ended task says how it ended and after how long', () => {
  const ended = { ...base, endedAt: new Date(at(125)).toISOString(), cancellable: false };
  assert.equal(taskEndedText({ ...ended, state: 'cancelled' }), 'cancelled after 2 min 5 s');
  assert.equal(taskEndedText({ ...ended, state: 'failed' }), 'failed after 2 min 5 s');
  assert.equal(taskEndedText({ ...ended, state: 'done' }), 'done after 2 min 5 s');
  assert.equal(taskEndedText(base), 'running');
});
