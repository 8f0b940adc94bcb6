// The activity, the sandboxes and the long work, kept beside the connection and broadcast to the renderer:
// seeded when the stream opens, kept by its events, emptied when it closes. Activity is
// broadcast at most every ACTIVITY_FLUSH_MS so a busy agent costs the renderer a few
// updates a second, not one per request.

import type { WardenEvent } from '../../../supervisor/api/events.ts';
import type { TaskEvent, TaskView } from '../../../supervisor/api/tasks.ts';
import { type ApiClient, ApiClientError } from '../../../supervisor/client/api-client.ts';
import type { ActivityRow, CancelTaskResult, SandboxRow } from '../common/ipc.ts';
import { ActivityFeed } from './activity.ts';
import { SandboxList } from './sandboxes.ts';
import { TaskList } from './tasks.ts';

export const ACTIVITY_FLUSH_MS = 250;

export interface LiveListsOptions {
  onActivity(rows: ActivityRow[]): void;
  onSandboxes(rows: SandboxRow[]): void;
  onTasks(rows: TaskView[]): void;
  log(level: 'info' | 'warn', line: string): void;
}

export class LiveLists {
  readonly #o: LiveListsOptions;
  readonly #activity = new ActivityFeed();
  readonly #sandboxes = new SandboxList();
  readonly #tasks = new TaskList();
  #client: ApiClient | undefined;
  #flush: ReturnType<typeof setTimeout> | undefined;
  /** A list in flight; another asked meanwhile runs after it. */
  #listing: Promise<void> | undefined;
  #again = false;

  constructor(options: LiveListsOptions) {
    this.#o = options;
  }

  activity(): ActivityRow[] {
    return this.#activity.rows();
  }

  sandboxes(): SandboxRow[] {
    return this.#sandboxes.rows();
  }

  tasks(): TaskView[] {
    return this.#tasks.rows();
  }

  opened(client: ApiClient): void {
    this.#client = client;
    this.#refetch();
    void this.#seedTasks(client);
  }

  closed(): void {
    this.#client = undefined;
    if (this.#sandboxes.clear()) this.#o.onSandboxes([]);
    if (this.#tasks.clear()) this.#o.onTasks([]);
  }

  task(event: TaskEvent): void {
    this.#tasks.apply(event);
    this.#o.onTasks(this.#tasks.rows());
  }

  /** Cancel a task from the page; the row follows the daemon's answer at once. */
  async cancelTask(taskId: string): Promise<CancelTaskResult> {
    const client = this.#client;
    if (!client)
      return {
        ok: false,
        gone: false,
        error: { name: 'DaemonUnavailable', message: 'not connected to the Warden daemon' },
      };
    try {
      const { task } = await client.call('POST /v1/tasks/:taskId/cancel', { params: { taskId } });
      this.task({ type: 'task.updated', task });
      return { ok: true, task };
    } catch (error) {
      if (error instanceof ApiClientError)
        return { ok: false, gone: error.name === 'TaskNotFound', error: error.details };
      return { ok: false, gone: false, error: { name: 'IpcFailed', message: (error as Error).message } };
    }
  }

  /** A sandbox was stopped from here: drop its row at once (the events confirm it). */
  removed(sandboxId: string): void {
    if (this.#sandboxes.remove(sandboxId)) this.#o.onSandboxes(this.#sandboxes.rows());
  }

  event(event: WardenEvent): void {
    if (this.#activity.apply(event)) this.#scheduleActivity();
    const s = this.#sandboxes.apply(event);
    if (s === 'changed') this.#o.onSandboxes(this.#sandboxes.rows());
    else if (s === 'refetch') this.#refetch();
  }

  dispose(): void {
    clearTimeout(this.#flush);
    this.#flush = undefined;
    this.#client = undefined;
    this.#activity.clear();
    this.#sandboxes.clear();
    this.#tasks.clear();
  }

  async #seedTasks(client: ApiClient): Promise<void> {
    try {
      const list = await client.call('GET /v1/tasks');
      if (this.#client !== client) return;
      this.#tasks.set(list);
      this.#o.onTasks(this.#tasks.rows());
    } catch (error) {
      this.#o.log('warn', `could not list the long work: ${(error as Error).message}`);
    }
  }

  #scheduleActivity(): void {
    if (this.#flush) return;
    this.#flush = setTimeout(() => {
      this.#flush = undefined;
      this.#o.onActivity(this.#activity.rows());
    }, ACTIVITY_FLUSH_MS);
  }

  #refetch(): void {
    if (this.#listing) {
      this.#again = true;
      return;
    }
    const client = this.#client;
    if (!client) return;
    this.#listing = (async () => {
      try {
        const list = await client.call('GET /v1/sandboxes');
        if (this.#client === client) {
          this.#sandboxes.set(list);
          this.#o.onSandboxes(this.#sandboxes.rows());
        }
      } catch (error) {
        this.#o.log('warn', `could not list the sandboxes: ${(error as Error).message}`);
      } finally {
        this.#listing = undefined;
        if (this.#again) {
          this.#again = false;
          this.#refetch();
        }
      }
    })();
  }
}
