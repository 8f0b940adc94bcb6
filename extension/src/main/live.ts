// The activity and the sandboxes, kept beside the connection and broadcast to the renderer:
// seeded when the stream opens, kept by its events, emptied when it closes. Activity is
// broadcast at most every ACTIVITY_FLUSH_MS so a busy agent costs the renderer a few
// updates a second, not one per request.

import type { WardenEvent } from '../../../supervisor/api/events.ts';
import type { ApiClient } from '../../../supervisor/client/api-client.ts';
import type { ActivityRow, SandboxRow } from '../common/ipc.ts';
import { ActivityFeed } from './activity.ts';
import { SandboxList } from './sandboxes.ts';

export const ACTIVITY_FLUSH_MS = 250;

export interface LiveListsOptions {
  onActivity(rows: ActivityRow[]): void;
  onSandboxes(rows: SandboxRow[]): void;
  log(level: 'info' | 'warn', line: string): void;
}

export class LiveLists {
  readonly #o: LiveListsOptions;
  readonly #activity = new ActivityFeed();
  readonly #sandboxes = new SandboxList();
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

  opened(client: ApiClient): void {
    this.#client = client;
    this.#refetch();
  }

  closed(): void {
    this.#client = undefined;
    if (this.#sandboxes.clear()) this.#o.onSandboxes([]);
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
