// Every store of the UI, built from one client and a clock; the event stream is read once
// here and dispatched. On (re)connect the live lists are fetched again.

import { makeObservable, observable, runInAction } from 'mobx';
import type { LiveEvent } from '../../supervisor/api/events.ts';
import type { ConnectionState, WardenClient } from '../client/client.ts';
import { ActivityStore, type ActivityStoreOptions } from './activity.ts';
import { ApprovalHistoryStore } from './approval-history.ts';
import { ApprovalsStore, type Clock, systemClock } from './approvals.ts';
import { AuditTaskStore } from './audit-tasks.ts';
import { FirstRunStore } from './first-run.ts';
import { AuditStore, SandboxesStore, SecretsStore, StatusStore } from './lists.ts';
import { PolicyStore, type PolicyStoreOptions } from './policy.ts';
import { ReplayStore } from './replay.ts';
import { SandboxMetricsStore } from './sandbox-metrics.ts';
import { SpendStore } from './spend.ts';
import { TasksStore } from './tasks.ts';

export interface RootStoreOptions {
  clock?: Clock;
  activity?: ActivityStoreOptions;
  policy?: PolicyStoreOptions;
}

export class RootStore {
  readonly client: WardenClient;
  readonly activity: ActivityStore;
  readonly approvals: ApprovalsStore;
  /** What was decided, revocation, and the prompt rate. */
  readonly approvalHistory: ApprovalHistoryStore;
  readonly policy: PolicyStore;
  readonly sandboxes: SandboxesStore;
  readonly secrets: SecretsStore;
  readonly audit: AuditStore;
  /** Verify now and Export… of the Audit view, as daemon tasks. */
  readonly auditTasks: AuditTaskStore;
  readonly status: StatusStore;
  readonly firstRun: FirstRunStore;
  readonly metrics: SandboxMetricsStore;
  readonly tasks: TasksStore;
  /** What-if replays: the Policy view's dry run and the approvals' "always" preview. */
  readonly policyReplay: ReplayStore;
  readonly approvalReplay: ReplayStore;
  /** Model spend per sandbox and model, against the budgets. */
  readonly spend: SpendStore;
  connection: ConnectionState = 'connecting';
  /** The stream has been open at least once. */
  connectedOnce = false;
  #disposers: Array<() => void> = [];

  constructor(client: WardenClient, opts: RootStoreOptions = {}) {
    this.client = client;
    this.activity = new ActivityStore(opts.activity);
    this.approvals = new ApprovalsStore(client, opts.clock ?? systemClock);
    this.approvalHistory = new ApprovalHistoryStore(client);
    this.policy = new PolicyStore(client, opts.policy);
    this.sandboxes = new SandboxesStore(client);
    this.secrets = new SecretsStore(client);
    this.audit = new AuditStore(client);
    this.status = new StatusStore(client);
    this.firstRun = new FirstRunStore(client, opts.clock ?? systemClock);
    this.metrics = new SandboxMetricsStore(client, opts.clock ?? systemClock);
    this.tasks = new TasksStore(client);
    const task = (id: string) => this.tasks.byId.get(id);
    this.policyReplay = new ReplayStore(client, task);
    this.approvalReplay = new ReplayStore(client, task);
    this.auditTasks = new AuditTaskStore(client, task, (status) =>
      runInAction(() => {
        this.audit.chain.value = status;
        this.audit.chain.error = null;
      }),
    );
    this.spend = new SpendStore(client);
    makeObservable(this, { connection: observable, connectedOnce: observable });
  }

  start(): void {
    this.#disposers.push(this.client.onEvent((e) => this.dispatch(e)));
    this.#disposers.push(
      this.client.onConnection((state) => {
        runInAction(() => {
          this.connection = state;
          if (state === 'open') this.connectedOnce = true;
        });
        if (state === 'open') {
          void this.approvals.load();
          void this.approvalHistory.load();
          void this.status.status.load();
          void this.sandboxes.all.load();
          void this.tasks.load();
          // The spend view is fetched when first opened; after a reconnect it is fetched again.
          if (this.spend.view.value) void this.spend.load();
        }
      }),
    );
    this.#disposers.push(this.approvals.startTicking());
    this.#disposers.push(this.status.startPolling());
    if (this.client.onFocusApproval) {
      this.#disposers.push(this.client.onFocusApproval((id) => this.approvals.requestFocus(id)));
    }
  }

  /**
   * The first-run guide applies: nothing is running and nothing has gone through Warden yet
   * (or a first sandbox is being started from it), and the user has not skipped it.
   */
  get firstRunApplies(): boolean {
    if (this.firstRun.dismissed) return false;
    if (this.firstRun.phase !== 'choose') return true;
    return this.sandboxes.all.value?.length === 0 && this.activity.total === 0;
  }

  stop(): void {
    for (const d of this.#disposers.splice(0)) d();
  }

  dispatch(event: LiveEvent): void {
    switch (event.type) {
      case 'task.updated':
        this.tasks.onEvent(event);
        return;
      case 'request.decided':
        this.activity.ingest(event);
        return;
      case 'request.ended':
        this.activity.ingest(event);
        this.spend.onEvent(event);
        return;
      case 'approval.pending':
        this.activity.ingest(event);
        this.approvals.onEvent(event);
        this.approvalHistory.onEvent(event);
        return;
      case 'approval.answered':
      case 'approval.expired':
      case 'approval.cancelled':
        this.approvals.onEvent(event);
        this.approvalHistory.onEvent(event);
        return;
      case 'approval.revoked':
        this.approvalHistory.onEvent(event);
        return;
      case 'policy.changed':
        if (this.policy.policy.value) void this.policy.load();
        return;
      case 'sandbox.state':
        this.sandboxes.onEvent(event);
        this.firstRun.onEvent(event);
        return;
      case 'user.action':
        this.sandboxes.onEvent(event);
        this.secrets.onEvent(event);
        return;
      case 'daemon.started':
        this.status.onEvent(event);
        return;
      default:
        return;
    }
  }
}
