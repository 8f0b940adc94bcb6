// A real hub with its admin page for tests: the test hub (test/support/hub/hub.ts) plus a
// second listener over the same service that serves /admin, an admin account, and a small
// cookie-carrying client for the admin API.

import type { TestContext } from 'node:test';
import type { HubRecord } from '../../../supervisor/api/hub.ts';
import { HUB_ADMIN_CSRF_HEADER } from '../../../supervisor/api/hub-admin.ts';
import { rowHash } from '../../../supervisor/audit/chain.ts';
import type { AdminHttp } from '../../../supervisor/hub/admin-http.ts';
import { HubServer } from '../../../supervisor/hub/http-server.ts';
import { openAdminHttp } from '../../../supervisor/hub/open-admin.ts';
import { requestEvent } from '../audit/samples.ts';
import { tempDir } from '../temp-dir.ts';
import { TestDevice } from './device.ts';
import { type StoreKind, startTestHub, type TestHub } from './hub.ts';
import type { HubClient } from './hub-client.ts';

export const ADMIN_NAME = 'it-admin';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface AdminHub extends TestHub {
  admin: AdminHttp;
  /** The listener serving /admin (and the device routes that need the admin side). */
  adminServer: HubServer;
  /** The URL of the listener serving /admin. */
  adminUrl: string;
}

export async function startAdminHub(
  t: TestContext,
  kind: StoreKind,
  o: { webRoot?: string; now?: () => number; home?: string; db?: string } = {},
): Promise<AdminHub> {
  const hub = await startTestHub(t, kind, {
    ...(o.now ? { now: o.now } : {}),
    ...(o.home ? { home: o.home } : {}),
    ...(o.db ? { db: o.db } : {}),
  });
  const admin = await openAdminHttp(hub.service, {
    home: hub.home,
    db: hub.db,
    secure: false,
    webRoot: o.webRoot,
  });
  await admin.adminStore.createAdmin(ADMIN_NAME, ADMIN_PASSWORD, Date.now());
  const server = new HubServer({ service: hub.service, host: '127.0.0.1', port: 0, admin });
  await server.listen();
  t.after(async () => {
    await server.close();
    await admin.close();
  });
  return { ...hub, admin, adminServer: server, adminUrl: server.url };
}

export interface AdminReply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON replies of many shapes
  body: any;
}

/** The admin API as a browser on the hub's origin would call it (override any part to attack it). */
export class AdminClient {
  cookie = '';
  csrf = '';
  constructor(readonly url: string) {}

  async call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    over: { origin?: string | null; csrf?: string | null; cookie?: string | null } = {},
  ): Promise<AdminReply> {
    const headers: Record<string, string> = {};
    const cookie = over.cookie === undefined ? this.cookie : over.cookie;
    if (cookie) headers.cookie = cookie;
    if (method === 'POST') {
      headers['content-type'] = 'application/json';
      const origin = over.origin === undefined ? this.url : over.origin;
      if (origin !== null) headers.origin = origin;
      const csrf = over.csrf === undefined ? this.csrf : over.csrf;
      if (csrf !== null) headers[HUB_ADMIN_CSRF_HEADER] = csrf;
    }
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
  }

  async signIn(name = ADMIN_NAME, password = ADMIN_PASSWORD): Promise<AdminReply> {
    const r = await this.call('POST', '/admin/api/sign-in', { name, password }, { csrf: null });
    if (r.status === 200) {
      this.cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
      this.csrf = r.body.csrf;
    }
    return r;
  }
}

export const XSS_HOST = '<img src=x onerror="window.__pwned=1">.evil.example';

/** Send rows in batches; throws on a refusal. */
export async function syncRows(client: HubClient, rows: readonly HubRecord[], size = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += size) {
    const reply = await client.batch(rows.slice(i, i + size));
    if (reply.status !== 200) throw new Error(`batch refused: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
}

export interface Fleet {
  honest: TestDevice;
  forked: TestDevice;
  hostile: TestDevice;
  clients: Map<string, HubClient>;
}

/**
 * Three enrolled devices with real chains: `honest` (120 records synced), `forked` (30
 * synced, then a rewrite of seq 20 on sent: a fork alert) and `hostile` (a record whose host is markup).
 */
export async function seedFleet(t: TestContext, hub: TestHub): Promise<Fleet> {
  const dir = tempDir(t);
  const honest = new TestDevice(dir, 'honest');
  const forked = new TestDevice(dir, 'forked');
  const hostile = new TestDevice(dir, 'hostile');
  t.after(() => {
    honest.close();
    forked.close();
    hostile.close();
  });
  honest.append(120);
  forked.append(30);
  hostile.append(2);
  hostile.store.appendBatch([requestEvent(2, { host: XSS_HOST })]);
  const clients = new Map<string, HubClient>();
  for (const [d, machine] of [
    [honest, 'build-01'],
    [forked, 'laptop-07'],
    [hostile, 'kiosk-3'],
  ] as const) {
    const client = await hub.enroll(d, { machine });
    clients.set(d.id, client);
    await syncRows(client, d.rows(0, 1000));
  }
  const rows = forked.rows(0, 1000);
  let prev = rows[19]!.prev_hash;
  const forged = rows.slice(19).map((r) => {
    const changed = { ...r, host: r.seq === 20 ? 'exfil.example.net' : r.host, prev_hash: prev };
    const hash = rowHash(changed);
    prev = hash;
    return { ...changed, hash };
  });
  const reply = await clients.get(forked.id)!.batch(forged);
  if (reply.status !== 409) throw new Error(`the fork was not refused: ${reply.status}`);
  // Heartbeats: the honest device is caught up; the forked one reports a backlog.
  for (const [d, backlog] of [
    [honest, 0],
    [forked, 7],
  ] as const) {
    const beat = await clients.get(d.id)!.heartbeat(d.head(), backlog);
    if (beat.status !== 200)
      throw new Error(`heartbeat refused: ${beat.status} ${JSON.stringify(beat.body)}`);
  }
  return { honest, forked, hostile, clients };
}
