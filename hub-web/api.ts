// The admin API client: same-origin fetch with the session cookie, the CSRF header on POSTs.

import type {
  HubAdminAction,
  HubAdminSession,
  HubAlertView,
  HubDeviceDetail,
  HubDeviceView,
  HubEventFilter,
  HubEventPage,
  HubExportView,
  HubReceiptView,
  HubSpotCheckView,
  HubTokenView,
} from '../supervisor/api/hub-admin.ts';
import { HUB_ADMIN_CSRF_HEADER, HUB_ADMIN_PATHS } from '../supervisor/api/hub-admin.ts';
import type { HubItApprovalView } from '../supervisor/api/hub-approvals.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class HubAdminApi {
  csrf = '';

  async #call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (method === 'POST') {
      headers['content-type'] = 'application/json';
      headers[HUB_ADMIN_CSRF_HEADER] = this.csrf;
    }
    const res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => ({}))) as { error?: { message?: string; hint?: string } };
    if (!res.ok) {
      const e = json.error;
      throw new ApiError(res.status, `${e?.message ?? res.statusText}${e?.hint ? ` — ${e.hint}` : ''}`);
    }
    return json as T;
  }

  async session(): Promise<HubAdminSession> {
    const s = await this.#call<HubAdminSession>('GET', HUB_ADMIN_PATHS.session);
    this.csrf = s.csrf;
    return s;
  }

  async signIn(name: string, password: string): Promise<HubAdminSession> {
    const s = await this.#call<HubAdminSession>('POST', HUB_ADMIN_PATHS.signIn, { name, password });
    this.csrf = s.csrf;
    return s;
  }

  signOut = () => this.#call('POST', HUB_ADMIN_PATHS.signOut, {});
  devices = () => this.#call<HubDeviceView[]>('GET', HUB_ADMIN_PATHS.devices);
  rotate = (device: string) => this.#call('POST', HUB_ADMIN_PATHS.rotate, { device });
  revoke = (device: string) => this.#call('POST', HUB_ADMIN_PATHS.revoke, { device });
  alerts = () => this.#call<HubAlertView[]>('GET', HUB_ADMIN_PATHS.alerts);
  ack = (id: number, note: string) => this.#call('POST', HUB_ADMIN_PATHS.ack, { id, note });
  tokens = () => this.#call<HubTokenView[]>('GET', HUB_ADMIN_PATHS.tokens);
  createToken = (ttlHours: number) =>
    this.#call<{ token: string; id: string; expires: number }>('POST', HUB_ADMIN_PATHS.tokenCreate, {
      ttlHours,
    });
  expireToken = (id: string) => this.#call('POST', HUB_ADMIN_PATHS.tokenExpire, { id });
  actions = () => this.#call<HubAdminAction[]>('GET', HUB_ADMIN_PATHS.actions);
  exports = () => this.#call<HubExportView[]>('GET', HUB_ADMIN_PATHS.exports);
  approvals = () => this.#call<HubItApprovalView[]>('GET', `${HUB_ADMIN_PATHS.approvals}?state=all`);
  answerApproval = (id: string, decision: 'allow' | 'deny') =>
    this.#call<HubItApprovalView>('POST', HUB_ADMIN_PATHS.approvalAnswer, { id, decision });
  device = (id: string) =>
    this.#call<HubDeviceDetail>('GET', `${HUB_ADMIN_PATHS.device}?${new URLSearchParams({ id })}`);
  receipts = (device: string, before: number) =>
    this.#call<{ receipts: HubReceiptView[]; next: number | null }>(
      'GET',
      `${HUB_ADMIN_PATHS.receipts}?${new URLSearchParams({ device, before: String(before) })}`,
    );
  spotCheck = (device: string, seqs: number[]) =>
    this.#call<HubSpotCheckView>('POST', HUB_ADMIN_PATHS.spotCheck, { device, seqs });
  /** The proof file's JSON (as `warden audit prove` writes it). */
  proof = (device: string, seq: number) =>
    this.#call<unknown>(
      'GET',
      `${HUB_ADMIN_PATHS.proof}?${new URLSearchParams({ device, seq: String(seq) })}`,
    );

  events(f: HubEventFilter): Promise<HubEventPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== '') q.set(k, String(v));
    return this.#call<HubEventPage>('GET', `${HUB_ADMIN_PATHS.events}?${q}`);
  }
}
