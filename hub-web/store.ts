// The page's state (MobX): the session, the four views' data, the event filter and its
// keyset cursors, and the live refresh (polling every LIVE_MS while signed in).

import { makeAutoObservable, runInAction } from 'mobx';
import type {
  HubAdminSession,
  HubAlertView,
  HubDeviceView,
  HubEventView,
  HubExportView,
  HubSeverity,
  HubTokenView,
} from '../supervisor/api/hub-admin.ts';
import type { HubItApprovalView } from '../supervisor/api/hub-approvals.ts';
import { ApiError, type HubAdminApi } from './api.ts';
import { DeviceDetailStore } from './device-store.ts';

export type Tab = 'devices' | 'approvals' | 'events' | 'alerts' | 'tokens' | 'exports' | 'device';
export const LIVE_MS = 2000;
/** IT's approvals inbox refreshes faster: a developer's request waits on it. */
export const APPROVALS_MS = 250;

export interface EventFilterForm {
  device: string;
  user: string;
  sandbox: string;
  /** The least OCSF severity ('' = any). */
  severity: string;
  kind: string;
  host: string;
  outcome: string;
  /** datetime-local text, in UTC like the times shown. */
  from: string;
  to: string;
}

const EMPTY_FILTER: EventFilterForm = {
  device: '',
  user: '',
  sandbox: '',
  severity: '',
  kind: '',
  host: '',
  outcome: '',
  from: '',
  to: '',
};

export class HubPageStore {
  session: HubAdminSession | null = null;
  checked = false;
  error: string | null = null;
  tab: Tab = 'devices';
  devices: HubDeviceView[] = [];
  alerts: HubAlertView[] = [];
  tokens: HubTokenView[] = [];
  exports: HubExportView[] = [];
  events: HubEventView[] = [];
  /** The last events page stopped at the severity filter's read limit. */
  partial = false;
  readonly device: DeviceDetailStore;
  filter: EventFilterForm = { ...EMPTY_FILTER };
  /** Cursors of the pages before the current one ('' = the first page). */
  pages: string[] = [];
  cursor = '';
  next: string | null = null;
  selected: HubEventView | null = null;
  newToken: string | null = null;
  /** IT's approvals: what waits, then the recent history. */
  approvals: HubItApprovalView[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #approvalsTimer: ReturnType<typeof setInterval> | undefined;
  #approvalsBusy = false;

  constructor(readonly api: HubAdminApi) {
    this.device = new DeviceDetailStore(api, (e) => this.fail(e));
    makeAutoObservable(this, { api: false, device: false });
  }

  async start(): Promise<void> {
    try {
      const s = await this.api.session();
      runInAction(() => (this.session = s));
      await this.#signedIn();
    } catch {
      // Not signed in: the form shows.
    } finally {
      runInAction(() => (this.checked = true));
    }
  }

  async signIn(name: string, password: string): Promise<void> {
    try {
      const s = await this.api.signIn(name, password);
      runInAction(() => {
        this.session = s;
        this.error = null;
      });
      await this.#signedIn();
    } catch (e) {
      this.fail(e);
    }
  }

  async signOut(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#approvalsTimer);
    await this.api.signOut().catch(() => undefined);
    runInAction(() => (this.session = null));
  }

  async #signedIn(): Promise<void> {
    await this.refresh();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.refresh(), LIVE_MS);
    clearInterval(this.#approvalsTimer);
    await this.refreshApprovals();
    this.#approvalsTimer = setInterval(() => void this.refreshApprovals(), APPROVALS_MS);
  }

  /** IT's inbox (one call in flight at a time). */
  async refreshApprovals(): Promise<void> {
    if (this.#approvalsBusy) return;
    this.#approvalsBusy = true;
    try {
      const list = await this.api.approvals();
      runInAction(() => (this.approvals = list));
    } catch (e) {
      this.fail(e);
    } finally {
      this.#approvalsBusy = false;
    }
  }

  answerApproval = (id: string, decision: 'allow' | 'deny') =>
    this.act(async () => {
      await this.api.answerApproval(id, decision);
      await this.refreshApprovals();
    });

  fail(e: unknown): void {
    if (e instanceof ApiError && e.status === 401) {
      clearInterval(this.#timer);
      clearInterval(this.#approvalsTimer);
      this.session = null;
    }
    this.error = e instanceof Error ? e.message : String(e);
  }

  setTab(tab: Tab): void {
    this.tab = tab;
  }

  /** The live refresh: devices, alerts, tokens, and the events page when it is the first. */
  async refresh(): Promise<void> {
    try {
      const [devices, alerts, tokens, exports] = await Promise.all([
        this.api.devices(),
        this.api.alerts(),
        this.api.tokens(),
        this.api.exports(),
      ]);
      runInAction(() => {
        this.devices = devices;
        this.alerts = alerts;
        this.tokens = tokens;
        this.exports = exports;
      });
      if (this.cursor === '') await this.loadEvents('');
      if (this.tab === 'device') await this.device.refresh();
    } catch (e) {
      this.fail(e);
    }
  }

  setFilter(key: keyof EventFilterForm, value: string): void {
    this.filter[key] = value;
  }

  async applyFilter(): Promise<void> {
    this.pages = [];
    await this.loadEvents('');
  }

  async loadEvents(cursor: string): Promise<void> {
    const f = this.filter;
    // The page shows times in UTC; the filter's datetime-local text is read as UTC too.
    const time = (t: string) => (t ? new Date(`${t}Z`).getTime() : undefined);
    try {
      const page = await this.api.events({
        device: f.device || undefined,
        user: f.user || undefined,
        sandbox: f.sandbox || undefined,
        severity: (f.severity || undefined) as HubSeverity | undefined,
        kind: f.kind || undefined,
        host: f.host || undefined,
        outcome: f.outcome || undefined,
        from: time(f.from),
        to: time(f.to),
        cursor: cursor || undefined,
        limit: 25,
      });
      runInAction(() => {
        this.events = page.events;
        this.next = page.next;
        this.partial = page.partial === true;
        this.cursor = cursor;
      });
    } catch (e) {
      this.fail(e);
    }
  }

  async older(): Promise<void> {
    if (!this.next) return;
    this.pages.push(this.cursor);
    await this.loadEvents(this.next);
  }

  async newer(): Promise<void> {
    const before = this.pages.pop();
    if (before !== undefined) await this.loadEvents(before);
  }

  select(e: HubEventView | null): void {
    this.selected = e;
  }

  async act(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
      runInAction(() => (this.error = null));
      await this.refresh();
    } catch (e) {
      this.fail(e);
    }
  }

  async openDevice(id: string): Promise<void> {
    this.tab = 'device';
    await this.device.open(id);
  }

  downloadProof = (device: string, seq: number) => this.device.downloadProof(device, seq);

  rotate = (device: string) => this.act(() => this.api.rotate(device));
  revoke = (device: string) => this.act(() => this.api.revoke(device));
  ack = (id: number, note: string) => this.act(() => this.api.ack(id, note));
  expireToken = (id: string) => this.act(() => this.api.expireToken(id));

  async createToken(ttlHours: number): Promise<void> {
    await this.act(async () => {
      const t = await this.api.createToken(ttlHours);
      runInAction(() => (this.newToken = t.token));
    });
  }

  dismissToken(): void {
    this.newToken = null;
  }
}
