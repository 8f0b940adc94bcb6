// IT's approvals for tests: a real hub with its admin side, a real daemon enrolled with it
// (fast sync timings), an organisation policy whose rule sends requests to evil.test to IT,
// and a sandbox whose project layer allows that host (so only IT's answer can let it through).

import type { TestContext } from 'node:test';
import type { ApprovalView } from '../../../supervisor/api/index.ts';
import { formatEnrollment } from '../../../supervisor/hub-protocol/enrollment.ts';
import { policyHash } from '../../../supervisor/policy/index.ts';
import { startTestDaemon, type TestDaemon, type TestListener } from '../daemon.ts';
import { enforcing, PROJECT } from '../organisation-policy.ts';
import { FAST_SYNC, waitFor } from '../sync.ts';
import { startUpstreams, type Upstreams } from '../upstreams.ts';
import { type AdminHub, startAdminHub } from './admin.ts';
import type { StoreKind } from './hub.ts';

export const IT_ORG = (timeoutSeconds: number) =>
  [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata: { name: acme-it-approvals }',
    'spec:',
    `  approvals: { timeoutSeconds: ${timeoutSeconds} }`,
    '  network:',
    '    rules:',
    '      - { match: evil.test, action: ask, approver: it, description: uploads IT reviews }',
    '',
  ].join('\n');

export interface ItFleet {
  hub: AdminHub;
  up: Upstreams;
  d: TestDaemon;
  sandbox: TestListener;
  deviceId: string;
  /** Stop the daemon and the hub's listener: call it before the test ends (its database goes first). */
  stop(): Promise<void>;
}

/** Hub, daemon, pushed policy and a sandbox; the daemon stops before the hub's database goes. */
export async function itFleet(
  t: TestContext,
  kind: StoreKind,
  o: {
    webRoot?: string;
    timeoutSeconds?: number;
    /** The organisation policy pushed (default: IT_ORG) and the sandbox's project layer. */
    org?: string;
    project?: string;
    /** More upstream CAs and names the daemon resolves (an MCP server's, say). */
    upstreamCa?: string[];
    resolve?: Record<string, string>;
  } = {},
): Promise<ItFleet> {
  const up = await startUpstreams();
  t.after(() => up.close());
  const hub = await startAdminHub(t, kind, o.webRoot ? { webRoot: o.webRoot } : {});
  const d = await startTestDaemon({
    upstreamCa: [up.caPem, ...(o.upstreamCa ?? [])],
    resolve: { 'evil.test': '127.0.0.1', ...o.resolve },
    daemon: { poolSize: 0, sync: FAST_SYNC },
  });
  t.after(() => d.stop());
  const enrollment = formatEnrollment({
    url: hub.adminUrl,
    hubKey: hub.service.verifierKey,
    tlsPin: null,
    token: await hub.token(),
  });
  await d.client.call('POST /v1/sync/enroll', { body: { enrollment } });
  const yaml = o.org ?? IT_ORG(o.timeoutSeconds ?? 60);
  await hub.service.policies!.set(yaml, '*', hub.service.log.signer, Date.now());
  await enforcing(d, policyHash(yaml));
  const sandbox = await d.listener(o.project ?? PROJECT);
  const deviceId = (await d.client.call('GET /v1/sync/status')).deviceId!;
  const stop = async () => {
    await d.stop();
    await hub.adminServer.close();
    // A poll the closed listener cut short finishes its last query.
    await new Promise((r) => setTimeout(r, 100));
  };
  return { hub, up, d, sandbox, deviceId, stop };
}

/** The hub's database, as a test that plays a tampered hub writes it (tests only). */
export function hubDb(f: ItFleet) {
  return f.hub.admin.adminStore.db;
}

/** The approval for IT a request to `path` waits on, on the device. */
export function heldForIt(f: ItFleet, path: string): Promise<ApprovalView> {
  return waitFor(
    `the request to ${path} to wait for IT`,
    async () =>
      (await f.d.client.call('GET /v1/approvals')).find(
        (a) => a.sandboxId === f.sandbox.listener.sandboxId && a.path === path,
      ),
    (a) => a !== undefined,
  ) as Promise<ApprovalView>;
}
