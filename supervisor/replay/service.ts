// The daemon's what-if replays: each runs as a `policy.replay` task on the task board (so the
// desktop app, the CLI and the Lens extension see its progress and can cancel it), and its
// result is kept for the newest KEEP_RESULTS replays, fetched by task id.

import { WardenError } from '../api/errors.ts';
import type { ReplayResult } from '../api/replay-types.ts';
import type { TaskBoard, TaskHandle } from '../tasks/index.ts';
import type { ReplayPairs } from './decide-shapes.ts';
import { runReplay } from './run-replay.ts';

export const KEEP_RESULTS = 20;

export interface ReplayStart {
  pairs: ReplayPairs;
  /** One line: what change is replayed ("policy diff a.yaml → b.yaml"). */
  title: string;
  since?: number;
  sandbox?: string;
  user: string;
}

export interface ReplayServiceOptions {
  board: TaskBoard;
  /** The audit database the replay reads (on its own connections). */
  auditFile: string;
  threads?: number;
}

export class ReplayService {
  readonly #o: ReplayServiceOptions;
  readonly #results = new Map<string, ReplayResult>();

  constructor(o: ReplayServiceOptions) {
    this.#o = o;
  }

  /** Start a replay; returns its task id at once (the work goes on in worker threads). */
  start(s: ReplayStart): string {
    const task = this.#o.board.start({
      kind: 'policy.replay',
      title: s.title,
      user: s.user,
      cancellable: true,
      ...(s.sandbox ? { sandboxId: s.sandbox } : {}),
    });
    const result: ReplayResult = {
      taskId: task.id,
      state: 'running',
      scanned: 0,
      shapes: 0,
      skipped: 0,
      differences: [],
      truncated: false,
      requestsDiffering: 0,
      ...(s.since !== undefined ? { since: s.since } : {}),
      ...(s.sandbox ? { sandbox: s.sandbox } : {}),
    };
    this.#keep(result);
    void this.#run(task, s, result);
    return task.id;
  }

  async #run(task: TaskHandle, s: ReplayStart, result: ReplayResult): Promise<void> {
    task.step('reading the recorded requests');
    try {
      const figures = await runReplay({
        file: this.#o.auditFile,
        pairs: s.pairs,
        ...(s.since !== undefined ? { since: s.since } : {}),
        ...(s.sandbox ? { sandbox: s.sandbox } : {}),
        ...(this.#o.threads ? { threads: this.#o.threads } : {}),
        signal: task.signal,
        onProgress: (done, total) => task.progress({ done, total, unit: 'records' }),
      });
      Object.assign(result, figures, { state: 'done' });
      task.detail(
        `${figures.requestsDiffering} of ${figures.scanned} recorded requests decided differently (${figures.differences.length} shapes)`,
      );
      task.done();
    } catch (error) {
      task.fail(error);
      result.state = task.signal.aborted ? 'cancelled' : 'failed';
      if (!task.signal.aborted) result.error = (error as Error).message;
    }
  }

  #keep(result: ReplayResult): void {
    this.#results.set(result.taskId, result);
    while (this.#results.size > KEEP_RESULTS) {
      const oldest = this.#results.keys().next().value as string;
      this.#results.delete(oldest);
    }
  }

  result(taskId: string): ReplayResult {
    const found = this.#results.get(taskId);
    if (!found) {
      throw new WardenError(
        'TaskNotFound',
        `no replay ${taskId} (only the newest ${KEEP_RESULTS} are kept)`,
        'start it again: warden policy diff A B --against-audit',
      );
    }
    return { ...found, differences: [...found.differences] };
  }
}
