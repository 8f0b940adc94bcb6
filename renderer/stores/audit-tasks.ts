// The Audit view's long work: "Verify now" and "Export…" start an `audit.verify` or
// `audit.export` task on the daemon; the strip under the header shows its progress and
// Cancel (the TasksStore, kept live by the stream), and once the task has ended its result
// is fetched: the chain's status goes onto the badge, the export's file is named.

import { makeObservable, observable, observableRef, runInAction } from 'mobx';
import type {
  AuditExportRequest,
  AuditExportResult,
  AuditVerifyResult,
} from '../../supervisor/api/audit-task-types.ts';
import type { AuditChainStatus } from '../../supervisor/api/audit-types.ts';
import type { TaskView } from '../../supervisor/api/tasks.ts';
import { type BridgeError, toBridgeError, type WardenClient } from '../client/client.ts';

const POLL_MS = 250;
const WAIT_LIMIT_MS = 30 * 60_000;

async function waitEnded<R extends { state: string }>(fetch: () => Promise<R>): Promise<R> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    const r = await fetch();
    if (r.state !== 'running' || Date.now() > deadline) return r;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export class AuditTaskStore {
  verifyTaskId: string | null = null;
  verifyResult: AuditVerifyResult | null = null;
  exportTaskId: string | null = null;
  exportResult: AuditExportResult | null = null;
  error: BridgeError | null = null;
  readonly #client: WardenClient;
  readonly #task: (id: string) => TaskView | undefined;
  readonly #onVerified: (status: AuditChainStatus) => void;

  constructor(
    client: WardenClient,
    task: (id: string) => TaskView | undefined,
    onVerified: (status: AuditChainStatus) => void,
  ) {
    this.#client = client;
    this.#task = task;
    this.#onVerified = onVerified;
    makeObservable(this, {
      verifyTaskId: observable,
      verifyResult: observableRef,
      exportTaskId: observable,
      exportResult: observableRef,
      error: observableRef,
    });
  }

  get verifyTask(): TaskView | undefined {
    return this.verifyTaskId ? this.#task(this.verifyTaskId) : undefined;
  }

  get verifying(): boolean {
    return this.verifyTaskId !== null && this.verifyResult === null && this.error === null;
  }

  get exporting(): boolean {
    return this.exportTaskId !== null && this.exportResult === null && this.error === null;
  }

  async verify(): Promise<void> {
    runInAction(() => {
      this.verifyTaskId = null;
      this.verifyResult = null;
      this.error = null;
    });
    try {
      const { taskId } = await this.#client.startAuditVerify();
      runInAction(() => {
        this.verifyTaskId = taskId;
      });
      const r = await waitEnded(() => this.#client.auditVerifyResult({ params: { taskId } }));
      runInAction(() => {
        this.verifyResult = r;
      });
      if (r.status) this.#onVerified(r.status);
    } catch (error) {
      runInAction(() => {
        this.error = toBridgeError(error);
      });
    }
  }

  async export(request: AuditExportRequest): Promise<void> {
    runInAction(() => {
      this.exportTaskId = null;
      this.exportResult = null;
      this.error = null;
    });
    try {
      const { taskId } = await this.#client.startAuditExport({ body: request });
      runInAction(() => {
        this.exportTaskId = taskId;
      });
      const r = await waitEnded(() => this.#client.auditExportResult({ params: { taskId } }));
      runInAction(() => {
        this.exportResult = r;
      });
    } catch (error) {
      runInAction(() => {
        this.error = toBridgeError(error);
      });
    }
  }
}
