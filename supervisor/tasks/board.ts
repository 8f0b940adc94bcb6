// The daemon's board of long work: each piece of work gets a handle to say how far it is and
// a signal that aborts when a user cancels it. Updates reach subscribers at most every
// UPDATE_MS per task (an npm install prints hundreds of lines a second), while a task's
// start and end are told at once. Ended tasks stay listed (the newest KEEP_ENDED) so a user
// who looks a little later sees how it ended.

import { randomBytes } from 'node:crypto';
import { WardenError } from '../api/errors.ts';
import type { TaskEvent, TaskKind, TaskProgress, TaskView } from '../api/tasks.ts';

export const UPDATE_MS = 200;
export const KEEP_ENDED = 20;
const MAX_TEXT = 300;

export type TaskListener = (event: TaskEvent) => void;

export interface StartTask {
  kind: TaskKind;
  title: string;
  user: string;
  sandboxId?: string;
  /** The work can stop when asked (its code watches `handle.signal`). */
  cancellable?: boolean;
}

/** What a piece of work holds while it runs. Calls after the end are ignored. */
export interface TaskHandle {
  readonly id: string;
  /** Aborts when a user cancels the task. */
  readonly signal: AbortSignal;
  step(text: string): void;
  progress(progress: TaskProgress): void;
  detail(text: string): void;
  sandbox(sandboxId: string): void;
  /** Whether a cancel would be honoured from now on (e.g. not while files are moved into place). */
  setCancellable(cancellable: boolean): void;
  done(): void;
  /** Ends it as failed, or as cancelled when the signal aborted. */
  fail(error: unknown): void;
}

interface Entry {
  view: TaskView;
  abort: AbortController;
  timer?: NodeJS.Timeout;
}

const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

export class TaskBoard {
  readonly #live = new Map<string, Entry>();
  readonly #ended: TaskView[] = [];
  readonly #listeners = new Set<TaskListener>();
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  subscribe(listener: TaskListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Running tasks first (oldest first), then the ended ones, newest first. */
  list(): TaskView[] {
    return [...[...this.#live.values()].map((e) => ({ ...e.view })), ...this.#ended.map((v) => ({ ...v }))];
  }

  start(o: StartTask): TaskHandle {
    const id = `task-${randomBytes(6).toString('hex')}`;
    const entry: Entry = {
      view: {
        id,
        kind: o.kind,
        title: clip(o.title),
        state: 'running',
        user: o.user,
        startedAt: this.#now().toISOString(),
        cancellable: o.cancellable === true,
        ...(o.sandboxId ? { sandboxId: o.sandboxId } : {}),
      },
      abort: new AbortController(),
    };
    this.#live.set(id, entry);
    this.#tell(entry.view);
    const change = (patch: Partial<TaskView>) => {
      if (entry.view.state !== 'running') return;
      Object.assign(entry.view, patch);
      entry.timer ??= setTimeout(() => {
        entry.timer = undefined;
        if (entry.view.state === 'running') this.#tell(entry.view);
      }, UPDATE_MS);
    };
    const end = (state: TaskView['state'], error?: string) => {
      if (entry.view.state !== 'running') return;
      clearTimeout(entry.timer);
      entry.view.state = state;
      entry.view.cancellable = false;
      entry.view.endedAt = this.#now().toISOString();
      if (error) entry.view.error = clip(error);
      this.#live.delete(id);
      this.#ended.unshift(entry.view);
      this.#ended.length = Math.min(this.#ended.length, KEEP_ENDED);
      this.#tell(entry.view);
    };
    return {
      id,
      signal: entry.abort.signal,
      step: (text) => change({ step: clip(text) }),
      progress: (progress) => change({ progress: { ...progress } }),
      detail: (text) => change({ detail: clip(text) }),
      sandbox: (sandboxId) => change({ sandboxId }),
      setCancellable: (cancellable) => {
        if (entry.view.state !== 'running' || entry.view.cancellable === cancellable) return;
        entry.view.cancellable = cancellable;
        this.#tell(entry.view);
      },
      done: () => end('done'),
      fail: (error) =>
        entry.abort.signal.aborted
          ? end('cancelled')
          : end('failed', error instanceof Error ? error.message : String(error)),
    };
  }

  /** A user asks the task to stop; the work ends it (as cancelled) when it has stopped. */
  cancel(id: string): TaskView {
    const entry = this.#live.get(id);
    if (!entry) {
      const ended = this.#ended.find((v) => v.id === id);
      if (ended)
        throw new WardenError('TaskNotCancellable', `the task ${id} has already ended (${ended.state})`);
      throw new WardenError('TaskNotFound', `no task ${id}`, 'list them with: warden tasks');
    }
    if (!entry.view.cancellable) {
      throw new WardenError(
        'TaskNotCancellable',
        `the task ${id} (${entry.view.title}) cannot be cancelled at this step${entry.view.step ? ` (${entry.view.step})` : ''}`,
        'wait for it to end',
      );
    }
    entry.view.step = 'cancelling';
    entry.view.cancellable = false;
    this.#tell(entry.view);
    entry.abort.abort();
    return { ...entry.view };
  }

  #tell(view: TaskView): void {
    const event: TaskEvent = { type: 'task.updated', task: { ...view } };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // a listener's failure is its own; the work goes on
      }
    }
  }
}

/**
 * Runs WORK as a task: ends it done when WORK resolves, failed (or cancelled) when it throws.
 * A cancelled task's error is the `Cancelled` WardenError, whatever WORK threw on its abort.
 */
export async function runTask<T>(
  board: TaskBoard,
  start: StartTask,
  work: (task: TaskHandle) => Promise<T>,
): Promise<T> {
  const task = board.start(start);
  try {
    const out = await work(task);
    task.done();
    return out;
  } catch (error) {
    task.fail(error);
    if (task.signal.aborted) {
      throw new WardenError(
        'Cancelled',
        `${start.title}: cancelled by a user`,
        'start it again when you want it',
      );
    }
    throw error;
  }
}
