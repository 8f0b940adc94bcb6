// The organisation policy pushed from a real hub, for the sync tests: a policy denying one
// host, a daemon enrolled with the hub (fast sync timings, upstream names pinned), waits for
// the hash a daemon enforces, a push, and the hub's view of a device's policy.

import type { HubDevicePolicyView } from '../../supervisor/api/hub-admin.ts';
import type { HubService } from '../../supervisor/hub/service.ts';
import { formatEnrollment } from '../../supervisor/hub-protocol/enrollment.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from './daemon.ts';
import type { TestHub } from './hub/hub.ts';
import { FAST_SYNC, waitFor } from './sync.ts';
import type { Upstreams } from './upstreams.ts';

export const ORG = (host: string, serialNote = '') =>
  [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    `metadata: { name: acme-it${serialNote} }`,
    'spec:',
    '  network:',
    '    rules:',
    `      - { match: ${host}, action: deny, description: exfiltration host (ACME IT) }`,
    '',
  ].join('\n');
export const PROJECT = policyYaml(
  '- match: 127.0.0.1\n  action: allow\n- match: evil.test\n  action: allow\n- match: leak.test\n  action: allow',
);

export async function enrolledDaemon(hub: TestHub, up: Upstreams): Promise<TestDaemon> {
  const d = await startTestDaemon({
    upstreamCa: [up.caPem],
    resolve: { 'evil.test': '127.0.0.1', 'leak.test': '127.0.0.1' },
    daemon: { poolSize: 0, sync: FAST_SYNC },
  });
  const enrollment = formatEnrollment({
    url: hub.url,
    hubKey: hub.service.verifierKey,
    tlsPin: null,
    token: await hub.token(),
  });
  await d.client.call('POST /v1/sync/enroll', { body: { enrollment } });
  return d;
}

export function enforcing(d: TestDaemon, hash: string) {
  return waitFor(
    `the daemon to enforce ${hash}`,
    () => d.client.call('GET /v1/status'),
    (s) => s.organisation?.enforced?.origin.hash === hash,
  );
}

export async function push(hub: TestHub, yaml: string, group = '*') {
  return hub.service.policies!.set(yaml, group, hub.service.log.signer, Date.now());
}

export async function deviceState(service: HubService, d: TestDaemon): Promise<HubDevicePolicyView> {
  const id = (await d.client.call('GET /v1/sync/status')).deviceId!;
  return service.policies!.deviceView(id);
}
