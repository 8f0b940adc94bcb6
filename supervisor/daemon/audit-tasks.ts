// Verify and export of the audit trail as tasks on the board (`audit.verify`,
// `audit.export`): the work runs in worker threads (audit/verify-async.ts,
// audit/export-async.ts) while this polls their shared counter into the task's progress,
// so the event loop never waits on them. A verify asked for while one runs joins it; at
// most MAX_EXPORTS exports run at once. Results are kept for the newest KEEP_RESULTS.

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type {
  AuditExportRequest,
  AuditExportResult,
  AuditTaskStarted,
  AuditVerifyResult,
} from '../api/audit-task-types.ts';
import { WardenError } from '../api/errors.ts';
import {
  exportAsync,
  ProgressSlot,
  parseTimeArg,
  progressCounter,
  readDone,
  verifyChainAsync,
} from '../audit/index.ts';
import type { Handlers } from '../server/server.ts';
import type { TaskBoard, TaskHandle } from '../tasks/index.ts';

export const KEEP_RESULTS = 20;
export const MAX_EXPORTS = 2;
const POLL_MS = 200;
const EXTENSION = { ocsf: 'json', 'ocsf-ndjson': 'ndjson', jsonl: 'jsonl' } as const;

export interface AuditTaskOptions {
  board: TaskBoard;
  auditFile: string;
  anchorFile: string;
  /** Where exports are written (created 0700). */
  exportsDir: string;
  /** Slice workers of a verify (default: one per core, at most 4). */
  threads?: number;
}

type Kept = AuditVerifyResult | AuditExportResult;

export class AuditTasks {
  readonly #o: AuditTaskOptions;
  readonly #results = new Map<string, Kept>();
  readonly #running = new Set<string>();
  #verifying: string | null = null;
  #exporting = 0;

  constructor(o: AuditTaskOptions) {
    this.#o = o;
  }

  verify(user: string): AuditTaskStarted {
    if (this.#verifying) return { taskId: this.#verifying, joined: true };
    const task = this.#o.board.start({
      kind: 'audit.verify',
      title: 'Verifying the audit chain',
      user,
      cancellable: true,
    });
    const result: AuditVerifyResult = { taskId: task.id, state: 'running' };
    this.#keep(result);
    this.#verifying = task.id;
    const counter = progressCounter();
    let total = 0;
    void this.#run(
      task,
      result,
      counter,
      () => total,
      async () => {
        task.step('checking records');
        result.status = await verifyChainAsync(this.#o.auditFile, this.#o.anchorFile, {
          signal: task.signal,
          progress: counter,
          ...(this.#o.threads ? { threads: this.#o.threads } : {}),
          onTotal: (n) => (total = n),
          onDiagnose: () => task.step('naming the first bad record'),
        });
        const s = result.status;
        task.detail(s.ok ? `chain ok: ${s.records} records` : `chain broken at record ${s.firstBad?.seq}`);
      },
    ).finally(() => {
      this.#verifying = null;
    });
    return { taskId: task.id };
  }

  export(request: AuditExportRequest, user: string, now = Date.now()): AuditTaskStarted {
    let since: number | undefined;
    if (request.since !== undefined) {
      try {
        since = parseTimeArg(request.since, now);
      } catch (error) {
        throw new WardenError(
          'BadRequest',
          `since: ${(error as Error).message}`,
          'for example 1h, 7d or 2026-11-03',
        );
      }
    }
    if (this.#exporting >= MAX_EXPORTS) {
      throw new WardenError(
        'TaskBusy',
        `${this.#exporting} audit exports are running already (at most ${MAX_EXPORTS} at once)`,
        'wait for one to end, or cancel it: warden tasks',
      );
    }
    mkdirSync(this.#o.exportsDir, { recursive: true, mode: 0o700 });
    const stamp = new Date(now)
      .toISOString()
      .replaceAll(':', '-')
      .replace(/\.\d+Z$/, 'Z');
    const out = path.join(
      this.#o.exportsDir,
      `audit-${stamp}-${randomBytes(3).toString('hex')}.${EXTENSION[request.format]}`,
    );
    const task = this.#o.board.start({
      kind: 'audit.export',
      title: `Exporting the audit trail (${request.format})`,
      user,
      cancellable: true,
    });
    const result: AuditExportResult = { taskId: task.id, state: 'running', format: request.format };
    this.#keep(result);
    this.#exporting++;
    const counter = progressCounter();
    void this.#run(
      task,
      result,
      counter,
      () => Atomics.load(counter, ProgressSlot.TOTAL),
      async () => {
        task.step('writing records');
        result.records = await exportAsync({
          file: this.#o.auditFile,
          format: request.format,
          out,
          progress: counter,
          signal: task.signal,
          ...(since !== undefined ? { since } : {}),
        });
        result.file = out;
        task.detail(`${result.records} records in ${out}`);
      },
    ).finally(() => {
      this.#exporting--;
    });
    return { taskId: task.id };
  }

  async #run(
    task: TaskHandle,
    result: Kept,
    counter: Int32Array,
    total: () => number,
    work: () => Promise<void>,
  ): Promise<void> {
    this.#running.add(task.id);
    const tell = () => {
      const all = total();
      task.progress({ done: readDone(counter), ...(all > 0 ? { total: all } : {}), unit: 'records' });
    };
    const poll = setInterval(tell, POLL_MS);
    try {
      await work();
      tell();
      result.state = 'done';
      task.done();
    } catch (error) {
      task.fail(error);
      result.state = task.signal.aborted ? 'cancelled' : 'failed';
      if (!task.signal.aborted) result.error = (error as Error).message;
    } finally {
      clearInterval(poll);
      this.#running.delete(task.id);
    }
  }

  #keep(result: Kept): void {
    this.#results.set(result.taskId, result);
    while (this.#results.size > KEEP_RESULTS) {
      this.#results.delete(this.#results.keys().next().value as string);
    }
  }

  result<K extends Kept>(taskId: string, kind: 'verify' | 'export'): K {
    const found = this.#results.get(taskId);
    if (!found || 'format' in found !== (kind === 'export')) {
      throw new WardenError(
        'TaskNotFound',
        `no audit ${kind} ${taskId} (only the newest ${KEEP_RESULTS} are kept)`,
        `start it again: warden audit ${kind}`,
      );
    }
    return { ...found } as K;
  }

  /** Stop every verify and export still running (the daemon is stopping). */
  close(): void {
    for (const id of this.#running) {
      try {
        this.#o.board.cancel(id);
      } catch {
        // already ending
      }
    }
  }
}

type AuditTaskRoutes =
  | 'POST /v1/audit/verify'
  | 'GET /v1/audit/verify/:taskId'
  | 'POST /v1/audit/export'
  | 'GET /v1/audit/export/:taskId';

export function auditTaskHandlers(tasks: AuditTasks): Pick<Handlers, AuditTaskRoutes> {
  return {
    'POST /v1/audit/verify': ({ user }) => tasks.verify(user),
    'GET /v1/audit/verify/:taskId': ({ params }) => tasks.result<AuditVerifyResult>(params.taskId, 'verify'),
    'POST /v1/audit/export': ({ body, user }) => tasks.export(body as AuditExportRequest, user),
    'GET /v1/audit/export/:taskId': ({ params }) => tasks.result<AuditExportResult>(params.taskId, 'export'),
  };
}
