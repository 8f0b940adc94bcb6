// The daemon's long work (image builds, agent installs) as the app shows it: every running
// task with its step and progress and a Cancel, and each ended one until the user dismisses
// it (a failure stays so its reason can be read). Filled from GET /v1/tasks on (re)connect
// and kept live by the stream's task.updated events.

import { action, computed, makeObservable, observable, observableRef, runInAction } from 'mobx';
import type { TaskEvent, TaskView } from '../../supervisor/api/tasks.ts';
import { type BridgeError, toBridgeError, type WardenClient } from '../client/client.ts';

export class TasksStore {
  readonly byId = observable.map<string, TaskView>([], { deep: false });
  /** Ended tasks the user has closed (or that ended before this window opened). */
  readonly dismissed = observable.set<string>();
  /** The last cancel that was refused, with its task. */
  cancelError: { id: string; error: BridgeError } | null = null;
  readonly #client: WardenClient;

  constructor(client: WardenClient) {
    this.#client = client;
    makeObservable(this, {
      cancelError: observableRef,
      shown: computed,
      running: computed,
      onEvent: action,
      dismiss: action,
    });
  }

  /** The running tasks, then the ended ones not dismissed, newest first. */
  get shown(): TaskView[] {
    const all = [...this.byId.values()];
    const running = all
      .filter((t) => t.state === 'running')
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const ended = all
      .filter((t) => t.state !== 'running' && !this.dismissed.has(t.id))
      .sort((a, b) => (b.endedAt ?? '').localeCompare(a.endedAt ?? ''));
    return [...running, ...ended];
  }

  get running(): number {
    let n = 0;
    for (const t of this.byId.values()) if (t.state === 'running') n++;
    return n;
  }

  /** What the daemon holds now; tasks that ended before this window saw them start stay quiet. */
  async load(): Promise<void> {
    try {
      const list = await this.#client.listTasks();
      runInAction(() => {
        const known = new Set(this.byId.keys());
        for (const t of list) {
          if (t.state !== 'running' && !known.has(t.id)) this.dismissed.add(t.id);
          this.#put(t);
        }
      });
    } catch {
      // the stream's reconnect loads again; the strip simply shows nothing meanwhile
    }
  }

  /**
   * Keeps the newest word on a task: a view that says running never replaces an ended one. The
   * cancel's answer (still running, "cancelling") can arrive after the stream's "cancelled".
   */
  #put(task: TaskView): void {
    if (task.state === 'running' && (this.byId.get(task.id)?.state ?? 'running') !== 'running') return;
    this.byId.set(task.id, task);
  }

  onEvent(event: TaskEvent): void {
    this.#put(event.task);
    if (this.cancelError?.id === event.task.id && event.task.state !== 'running') this.cancelError = null;
  }

  dismiss(id: string): void {
    this.dismissed.add(id);
  }

  async cancel(id: string): Promise<void> {
    try {
      const { task } = await this.#client.cancelTask({ params: { taskId: id } });
      runInAction(() => {
        this.#put(task);
        this.cancelError = null;
      });
    } catch (error) {
      runInAction(() => {
        this.cancelError = { id, error: toBridgeError(error) };
      });
    }
  }
}
