// "Recorded requests decided differently": a what-if replay of a policy change (the Policy
// view's dry run, an approval's "always" preview) over the requests the audit trail holds.
// The daemon runs it as a `policy.replay` task; its progress comes from the task list (the
// TasksStore, kept live by the stream), Cancel cancels that task, and the result is fetched
// once the task has ended.

import { action, computed, makeObservable, observable, observableRef, runInAction } from 'mobx';
import type { ReplayChangeSpec, ReplayResult } from '../../supervisor/api/replay-types.ts';
import type { TaskView } from '../../supervisor/api/tasks.ts';
import { type BridgeError, toBridgeError, type WardenClient } from '../client/client.ts';

const POLL_MS = 250;
const WAIT_LIMIT_MS = 10 * 60_000;

export class ReplayStore {
  taskId: string | null = null;
  result: ReplayResult | null = null;
  error: BridgeError | null = null;
  readonly #client: WardenClient;
  readonly #task: (id: string) => TaskView | undefined;
  /** Bumped by every start and reset, so an older replay's answer is dropped. */
  #run = 0;

  constructor(client: WardenClient, task: (id: string) => TaskView | undefined) {
    this.#client = client;
    this.#task = task;
    makeObservable(this, {
      taskId: observable,
      result: observableRef,
      error: observableRef,
      task: computed,
      running: computed,
      reset: action,
    });
  }

  /** The replay's task as the task list shows it (progress, state). */
  get task(): TaskView | undefined {
    return this.taskId ? this.#task(this.taskId) : undefined;
  }

  get running(): boolean {
    return this.taskId !== null && this.result === null && this.error === null;
  }

  reset(): void {
    this.#run++;
    this.taskId = null;
    this.result = null;
    this.error = null;
  }

  async start(change: ReplayChangeSpec): Promise<void> {
    this.reset();
    const run = this.#run;
    try {
      const { taskId } = await this.#client.startReplay({ body: { change } });
      if (run !== this.#run) return;
      runInAction(() => {
        this.taskId = taskId;
      });
      const deadline = Date.now() + WAIT_LIMIT_MS;
      while (run === this.#run && Date.now() < deadline) {
        const r = await this.#client.replayResult({ params: { taskId } });
        if (run !== this.#run) return;
        if (r.state !== 'running') {
          runInAction(() => {
            this.result = r;
          });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch (error) {
      if (run === this.#run)
        runInAction(() => {
          this.error = toBridgeError(error);
        });
    }
  }

  async cancel(): Promise<void> {
    if (!this.taskId) return;
    try {
      await this.#client.cancelTask({ params: { taskId: this.taskId } });
    } catch (error) {
      runInAction(() => {
        this.error = toBridgeError(error);
      });
    }
  }
}
