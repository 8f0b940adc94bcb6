// The renderer's state: what main broadcasts (the snapshot, the activity, the sandboxes)
// plus what only the page has (filters, answers in flight, the "always" being confirmed).
// MobX through makeAutoObservable and runInAction only: no decorators, which MobX 6 hosts
// and MobX 7 hosts read differently. Everything goes to main over the extension IPC.

import { makeAutoObservable, reaction, runInAction } from 'mobx';
import type { ApprovalDecision, ApprovalView } from '../../../supervisor/api/events.ts';
import type { PolicyDiff } from '../../../supervisor/api/policy-types.ts';
import type { TaskView } from '../../../supervisor/api/tasks.ts';
import {
  type ActivityRow,
  type AnswerResult,
  type CancelTaskResult,
  type CatalogCluster,
  type ClusterRef,
  type IpcError,
  type NotificationsPref,
  type NotificationsResult,
  type PreviewResult,
  type SandboxRow,
  type Snapshot,
  type StateFolderResult,
  type StopResult,
  type TerminalsPref,
  type TerminalsResult,
  WARDEN_IPC,
} from '../common/ipc.ts';
import type { RendererIpc } from './ipc-client.ts';

export interface Confirming {
  approval: ApprovalView;
  decision: ApprovalDecision;
  diff?: PolicyDiff;
  error?: IpcError;
  busy?: boolean;
}

export interface ActivityFilters {
  sandbox: string;
  outcome: '' | ActivityRow['outcome'];
  text: string;
}

function ipcError(error: unknown): IpcError {
  return { name: 'IpcFailed', message: error instanceof Error ? error.message : String(error) };
}

export class WardenStore {
  snapshot: Snapshot | null = null;
  activity: ActivityRow[] = [];
  sandboxes: SandboxRow[] = [];
  /** The daemon's long work: running first, then the recently ended. */
  tasks: TaskView[] = [];
  now = Date.now();
  filters: ActivityFilters = { sandbox: '', outcome: '', text: '' };
  /** Approval and sandbox ids with an answer or a stop in flight. */
  busy = new Set<string>();
  /** The last failure per approval or sandbox id (an answer, a stop). */
  errors = new Map<string, IpcError>();
  confirming: Confirming | null = null;
  /** The approval a deep link or a notification asked to show. */
  focusId: string | null = null;
  /** A failure of the preferences pane. */
  prefsError: IpcError | null = null;
  ipc: RendererIpc | null = null;
  #disposers: Array<() => void> = [];

  constructor() {
    makeAutoObservable(this, { ipc: false }, { autoBind: true });
  }

  get approvals(): ApprovalView[] {
    return this.snapshot?.approvals ?? [];
  }

  get pending(): number {
    return this.approvals.length;
  }

  get sandboxIds(): string[] {
    return [
      ...new Set([...this.sandboxes.map((s) => s.sandboxId), ...this.activity.map((r) => r.sandboxId)]),
    ].sort();
  }

  get shownActivity(): ActivityRow[] {
    const { sandbox, outcome, text } = this.filters;
    const needle = text.trim().toLowerCase();
    return this.activity.filter(
      (r) =>
        (!sandbox || r.sandboxId === sandbox) &&
        (!outcome || r.outcome === outcome) &&
        (!needle || `${r.method} ${r.host}${r.path}`.toLowerCase().includes(needle)),
    );
  }

  /** The catalog cluster whose API server the approval's request goes to. */
  clusterOf(a: ApprovalView): ClusterRef | undefined {
    const host = a.host.toLowerCase();
    return this.snapshot?.clusters?.find((c) => c.host === host && c.port === a.port);
  }

  /**
   * Send the host catalog's clusters to main now and whenever they change (`read` reads the
   * host's observable catalog, so a MobX reaction follows it).
   */
  watchCatalog(read: () => CatalogCluster[]): void {
    const ipc = this.ipc;
    if (!ipc) return;
    this.#disposers.push(
      reaction(
        () => JSON.stringify(read()),
        (json) => {
          void ipc.invoke(WARDEN_IPC.setClusters, JSON.parse(json)).catch(() => {});
        },
        { fireImmediately: true },
      ),
    );
  }

  secondsLeft(a: ApprovalView): number {
    return Math.max(0, Math.ceil((Date.parse(a.expiresAt) - this.now) / 1000));
  }

  /** Follow main over `ipc`; returns when the first snapshot is in. */
  async attach(ipc: RendererIpc): Promise<void> {
    this.detach();
    this.ipc = ipc;
    this.#disposers.push(
      ipc.listen(WARDEN_IPC.changed, (_e, s) => this.setSnapshot(s as Snapshot)),
      ipc.listen(WARDEN_IPC.activityChanged, (_e, rows) => this.setActivity(rows as ActivityRow[])),
      ipc.listen(WARDEN_IPC.sandboxesChanged, (_e, rows) => this.setSandboxes(rows as SandboxRow[])),
      ipc.listen(WARDEN_IPC.tasksChanged, (_e, rows) => this.setTasks(rows as TaskView[])),
    );
    const timer = setInterval(() => this.tick(), 1000);
    this.#disposers.push(() => clearInterval(timer));
    const [snapshot, activity, sandboxes, tasks] = await Promise.all([
      ipc.invoke(WARDEN_IPC.snapshot),
      ipc.invoke(WARDEN_IPC.activity),
      ipc.invoke(WARDEN_IPC.sandboxes),
      ipc.invoke(WARDEN_IPC.tasks).catch(() => []),
    ]);
    // A broadcast that came while these were in flight is newer: keep it.
    if (!this.snapshot) this.setSnapshot(snapshot as Snapshot);
    if (this.activity.length === 0) this.setActivity(activity as ActivityRow[]);
    if (this.sandboxes.length === 0) this.setSandboxes(sandboxes as SandboxRow[]);
    if (this.tasks.length === 0) this.setTasks(tasks as TaskView[]);
  }

  detach(): void {
    for (const d of this.#disposers.splice(0)) d();
    this.ipc = null;
  }

  tick(): void {
    this.now = Date.now();
  }

  setSnapshot(s: Snapshot): void {
    this.snapshot = s;
    this.now = Date.now();
    const ids = new Set(s.approvals.map((a) => a.id));
    // An approval answered elsewhere, expired or cancelled: its card and its dialog just go.
    if (this.confirming && !ids.has(this.confirming.approval.id)) this.confirming = null;
    for (const id of [...this.errors.keys()])
      if (id.startsWith('approval:') && !ids.has(id.slice(9))) this.errors.delete(id);
  }

  setActivity(rows: ActivityRow[]): void {
    this.activity = rows;
  }

  setSandboxes(rows: SandboxRow[]): void {
    this.sandboxes = rows;
  }

  setTasks(rows: TaskView[]): void {
    this.tasks = rows;
  }

  setFilter<K extends keyof ActivityFilters>(key: K, value: ActivityFilters[K]): void {
    this.filters = { ...this.filters, [key]: value };
  }

  focus(approvalId: string | null): void {
    this.focusId = approvalId;
  }

  /** Drop a card the daemon no longer has (answered elsewhere): no error is shown. */
  forget(approvalId: string): void {
    if (!this.snapshot) return;
    this.snapshot = {
      ...this.snapshot,
      approvals: this.snapshot.approvals.filter((a) => a.id !== approvalId),
    };
    if (this.confirming?.approval.id === approvalId) this.confirming = null;
  }

  async #invoke<T>(
    channel: string,
    ...args: unknown[]
  ): Promise<T | { ok: false; gone: false; error: IpcError }> {
    const ipc = this.ipc;
    if (!ipc)
      return { ok: false, gone: false, error: { name: 'IpcFailed', message: 'the extension is not active' } };
    try {
      return (await ipc.invoke(channel, ...args)) as T;
    } catch (error) {
      return { ok: false, gone: false, error: ipcError(error) };
    }
  }

  async answer(id: string, decision: ApprovalDecision, scope: 'once' | 'always'): Promise<boolean> {
    const key = `approval:${id}`;
    if (this.busy.has(key)) return false;
    this.busy.add(key);
    this.errors.delete(key);
    const r = await this.#invoke<AnswerResult>(WARDEN_IPC.answer, id, { decision, scope });
    runInAction(() => {
      this.busy.delete(key);
      if (r.ok || r.gone) this.forget(id);
      else this.errors.set(key, r.error);
    });
    return r.ok;
  }

  /** "Always": show the policy change it will make first (the daemon's preview). */
  async askAlways(approval: ApprovalView, decision: ApprovalDecision): Promise<void> {
    this.confirming = { approval, decision };
    const r = await this.#invoke<PreviewResult>(WARDEN_IPC.preview, approval.id, { decision });
    runInAction(() => {
      const c = this.confirming;
      if (!c || c.approval.id !== approval.id || c.decision !== decision) return;
      if (r.ok) this.confirming = { ...c, diff: r.diff };
      else if (r.gone) this.forget(approval.id);
      else this.confirming = { ...c, error: r.error };
    });
  }

  async confirmAlways(): Promise<void> {
    const c = this.confirming;
    if (!c?.diff || c.busy) return;
    this.confirming = { ...c, busy: true };
    const ok = await this.answer(c.approval.id, c.decision, 'always');
    runInAction(() => {
      if (ok) this.confirming = null;
      else if (this.confirming) {
        const error = this.errors.get(`approval:${c.approval.id}`);
        this.confirming = { ...this.confirming, busy: false, ...(error ? { error } : {}) };
      }
    });
  }

  cancelConfirm(): void {
    this.confirming = null;
  }

  async stopSandbox(sandboxId: string): Promise<void> {
    const key = `sandbox:${sandboxId}`;
    this.busy.add(key);
    this.errors.delete(key);
    const r = await this.#invoke<StopResult>(WARDEN_IPC.stopSandbox, sandboxId);
    runInAction(() => {
      this.busy.delete(key);
      if (!r.ok && !r.gone) this.errors.set(key, r.error);
    });
  }

  async cancelTask(taskId: string): Promise<void> {
    const key = `task:${taskId}`;
    if (this.busy.has(key)) return;
    this.busy.add(key);
    this.errors.delete(key);
    const r = await this.#invoke<CancelTaskResult>(WARDEN_IPC.cancelTask, taskId);
    runInAction(() => {
      this.busy.delete(key);
      if (r.ok) this.tasks = this.tasks.map((t) => (t.id === taskId ? r.task : t));
      else if (!r.gone) this.errors.set(key, r.error);
    });
  }

  async retry(): Promise<void> {
    await this.#invoke<boolean>(WARDEN_IPC.retry);
  }

  async setStateFolder(folder: string | null): Promise<boolean> {
    const r = await this.#invoke<StateFolderResult>(WARDEN_IPC.setStateFolder, folder);
    runInAction(() => {
      this.prefsError = r.ok ? null : r.error;
    });
    return r.ok;
  }

  async setNotifications(pref: NotificationsPref): Promise<void> {
    const r = await this.#invoke<NotificationsResult>(WARDEN_IPC.setNotifications, pref);
    runInAction(() => {
      this.prefsError = r.ok ? null : r.error;
      if (r.ok && this.snapshot) this.snapshot = { ...this.snapshot, notifications: r.notifications };
    });
  }

  async setTerminals(pref: TerminalsPref): Promise<void> {
    const r = await this.#invoke<TerminalsResult>(WARDEN_IPC.setTerminals, pref);
    runInAction(() => {
      this.prefsError = r.ok ? null : r.error;
      if (r.ok && this.snapshot) this.snapshot = { ...this.snapshot, terminals: r.terminals };
    });
  }
}
