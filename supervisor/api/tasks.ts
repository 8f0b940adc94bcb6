// Long work the daemon does for a user (an image build, an agent install, a VM's cold boot, a
// what-if replay, an audit verify or export), shown while it
// runs wherever the user looks: the desktop app, the CLI, the Lens extension, with a cancel.
// Tasks are live state, not governance: they are never written to the audit
// trail (what the work did is: the install's requests, the user action that started it).
// A task's changes reach clients on the event stream as `task.updated`, only for clients
// that ask for them (`GET /v1/events?tasks=1`), so older clients never see a type they do not know.

export const TASK_KINDS = [
  'image.build',
  'agent.install',
  'vm.boot',
  'policy.replay',
  'audit.verify',
  'audit.export',
] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export type TaskState = 'running' | 'done' | 'failed' | 'cancelled';

/** How far the work is: `total` absent while it cannot be known (an npm install). */
export interface TaskProgress {
  done: number;
  total?: number;
  /** What `done` counts: records, requests, steps. */
  unit: string;
}

export interface TaskView {
  id: string;
  kind: TaskKind;
  /** One line a person reads: "Installing claude-code". */
  title: string;
  state: TaskState;
  /** What it is doing now ("booting the install sandbox", "npm install"). */
  step?: string;
  progress?: TaskProgress;
  /** Extra figures the work reports as it goes (bytes downloaded, requests). */
  detail?: string;
  /** The sandbox the work runs in or is for, when there is one. */
  sandboxId?: string;
  /** The local user who started it. */
  user: string;
  startedAt: string;
  endedAt?: string;
  /** Why it failed, when it failed (never a secret: the same text the API call returned). */
  error?: string;
  /** A cancel would be honoured now (false once it ended, or for work that cannot stop). */
  cancellable: boolean;
}

/** A task started, moved on or ended. */
export interface TaskEvent {
  type: 'task.updated';
  task: TaskView;
}

export interface CancelTaskResponse {
  task: TaskView;
}

const ENDED_WORDS: Record<Exclude<TaskState, 'running'>, string> = {
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** "12 s", "3 min 4 s": the time from `fromIso` to `toMs`. */
export function elapsedText(fromIso: string, toMs: number): string {
  const s = Math.max(0, (toMs - Date.parse(fromIso)) / 1000);
  return s < 60 ? `${s.toFixed(0)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A running task's line: "npm install · 12 of 40 packages · 3.1 MB · 8 s" (every client shows the same). */
export function taskStepText(task: TaskView, nowMs: number): string {
  const p = task.progress;
  let line = task.step ?? 'starting';
  if (p) line += p.total ? ` · ${p.done} of ${p.total} ${p.unit}` : ` · ${p.done} ${p.unit}`;
  if (task.detail) line += ` · ${task.detail}`;
  return `${line} · ${elapsedText(task.startedAt, nowMs)}`;
}

/** An ended task's line: "cancelled after 4 s". */
export function taskEndedText(task: TaskView): string {
  if (task.state === 'running') return 'running';
  return `${ENDED_WORDS[task.state]} after ${elapsedText(task.startedAt, Date.parse(task.endedAt ?? task.startedAt))}`;
}
