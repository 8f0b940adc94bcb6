// The daemon's long work (image builds, agent installs) as the page shows it: seeded from
// GET /v1/tasks when the stream opens, kept by its task.updated events, at most MAX_TASKS
// (running ones first, then the newest that ended), emptied when the stream closes.

import type { TaskEvent, TaskView } from '../../../supervisor/api/tasks.ts';

export const MAX_TASKS = 20;

export class TaskList {
  readonly #byId = new Map<string, TaskView>();
  readonly #max: number;

  constructor(max = MAX_TASKS) {
    this.#max = max;
  }

  /** Running first (oldest first), then ended (newest first), bounded. */
  rows(): TaskView[] {
    const all = [...this.#byId.values()];
    const running = all
      .filter((t) => t.state === 'running')
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const ended = all
      .filter((t) => t.state !== 'running')
      .sort((a, b) => (b.endedAt ?? '').localeCompare(a.endedAt ?? ''));
    return [...running, ...ended].slice(0, this.#max);
  }

  set(list: readonly TaskView[]): void {
    this.#byId.clear();
    for (const t of list) this.#byId.set(t.id, t);
    this.#trim();
  }

  apply(event: TaskEvent): void {
    this.#byId.set(event.task.id, event.task);
    this.#trim();
  }

  /** False when there was nothing to clear. */
  clear(): boolean {
    if (this.#byId.size === 0) return false;
    this.#byId.clear();
    return true;
  }

  #trim(): void {
    if (this.#byId.size <= this.#max) return;
    const keep = new Set(this.rows().map((t) => t.id));
    for (const id of this.#byId.keys()) if (!keep.has(id)) this.#byId.delete(id);
  }
}
