// A real hub for tests: its own state folder, a store of the kind asked for (SQLite in the
// folder; PostgreSQL in a fresh database of the cluster named by WARDEN_TEST_PG, dropped
// afterwards) and its HTTP server on 127.0.0.1. PostgreSQL tests skip locally without the
// variable, and fail when WARDEN_REQUIRE_PG=1 (CI: .ci/run starts the cluster).

import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import type { HubEnrollRequest } from '../../../supervisor/api/hub.ts';
import { GENESIS_HASH } from '../../../supervisor/audit/chain.ts';
import { HubServer, type HubServerOptions } from '../../../supervisor/hub/http-server.ts';
import { openHub } from '../../../supervisor/hub/open-hub.ts';
import type { HubService, HubServiceOptions } from '../../../supervisor/hub/service.ts';
import { tempDir } from '../temp-dir.ts';
import type { TestDevice } from './device.ts';
import { HubClient } from './hub-client.ts';

export type StoreKind = 'sqlite' | 'postgres';

const PG_URL = process.env.WARDEN_TEST_PG;

/** The store kinds to run a suite against; explains (or fails) when PostgreSQL is missing. */
export function storeKinds(): StoreKind[] {
  if (PG_URL) return ['sqlite', 'postgres'];
  if (process.env.WARDEN_REQUIRE_PG === '1') {
    throw new Error(
      'WARDEN_REQUIRE_PG=1 but WARDEN_TEST_PG is not set: start the cluster (test/support/hub/pg-cluster.sh)',
    );
  }
  process.stderr.write(
    '# PostgreSQL hub tests skipped: set WARDEN_TEST_PG (eval "$(bash test/support/hub/pg-cluster.sh start)")\n',
  );
  return ['sqlite'];
}

/** A fresh database in the test cluster, dropped when the test ends; returns its URL. */
export async function freshPgDatabase(t: TestContext): Promise<string> {
  if (!PG_URL) throw new Error('WARDEN_TEST_PG is not set');
  const name = `hub_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  t.after(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestHub {
  service: HubService;
  server: HubServer;
  url: string;
  home: string;
  db: string;
  token(ttlMs?: number): Promise<string>;
  /** Enroll a device with a fresh token; returns its client. */
  enroll(device: TestDevice, over?: Partial<HubEnrollRequest>): Promise<HubClient>;
}

export async function startTestHub(
  t: TestContext,
  kind: StoreKind,
  options: Partial<HubServiceOptions> &
    Partial<Pick<HubServerOptions, 'maxInflight' | 'tls'>> & { db?: string; home?: string } = {},
): Promise<TestHub> {
  const home = options.home ?? tempDir(t, 'warden-hub-');
  const db = options.db ?? (kind === 'sqlite' ? 'sqlite:hub.db' : await freshPgDatabase(t));
  const service = await openHub({ home, db, origin: 'hub.test/warden', challengeRate: 0, ...options });
  const server = new HubServer({
    service,
    host: '127.0.0.1',
    port: 0,
    maxInflight: options.maxInflight,
    tls: options.tls,
  });
  await server.listen();
  t.after(async () => {
    await server.close();
    await service.close();
  });
  const hub: TestHub = {
    service,
    server,
    url: server.url,
    home,
    db,
    token: async (ttlMs = 3_600_000) => (await service.createToken(ttlMs)).token,
    enroll: async (device, over = {}) => {
      const client = new HubClient(server.url, device.id, device.privateKey);
      const reply = await client.enroll({
        token: await hub.token(),
        publicKey: device.publicKey.toString('base64'),
        user: 'alice',
        machine: 'devbox',
        os: 'Linux',
        wardenVersion: '0.1.0',
        head: device.head(),
        start: { seq: 1, prevHash: GENESIS_HASH },
        ...over,
      });
      if (reply.status !== 200)
        throw new Error(`enroll failed: ${reply.status} ${JSON.stringify(reply.body)}`);
      return client;
    },
  };
  return hub;
}
