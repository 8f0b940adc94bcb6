// The admin API client: same-origin fetch with the session cookie, the CSRF header on POSTs.

import type {
  HubAdminAction,
  HubAdminSession,
  HubAlertView,
  HubDeviceView,
  HubEventFilter,
  HubEventPage,
  HubTokenView,
} from '../supervisor/api/hub-admin.ts';
import { HUB_ADMIN_CSRF_HEADER, HUB_ADMIN_PATHS } from '../supervisor/api/hub-admin.ts';

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

  events(f: HubEventFilter): Promise<HubEventPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== '') q.set(k, String(v));
    return this.#call<HubEventPage>('GET', `${HUB_ADMIN_PATHS.events}?${q}`);
  }
}
