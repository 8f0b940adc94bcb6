// The organisation policy pushed from a real hub (SQLite and, with WARDEN_TEST_PG,
// PostgreSQL) to two real enrolled daemons: it reaches both (curl through each proxy gets
// the organisation's deny), a lower-layer edit that weakens it is refused with the reason,
// a device group gets its own policy, and the hub's device list shows what each enforces.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HubDevicePolicyView } from '../../supervisor/api/hub-admin.ts';
import type { ApiClientError } from '../../supervisor/client/api-client.ts';
import type { HubService } from '../../supervisor/hub/service.ts';
import { formatEnrollment } from '../../supervisor/hub-protocol/enrollment.ts';
import { policyHash } from '../../supervisor/policy/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { startTestHub, storeKinds, type TestHub } from '../support/hub/hub.ts';
import { FAST_SYNC, waitFor } from '../support/sync.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

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
const PROJECT = policyYaml(
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

for (const kind of storeKinds()) {
  test(`${kind}: a pushed policy reaches two devices; weakening it is refused; a group gets its own`, async (t) => {
    const up = await startUpstreams();
    t.after(() => up.close());
    const hub = await startTestHub(t, kind);
    const devices = [await enrolledDaemon(hub, up), await enrolledDaemon(hub, up)];
    t.after(() => Promise.all(devices.map((d) => d.stop())));
    const sandboxes = await Promise.all(devices.map((d) => d.listener(PROJECT)));
    for (const { env } of sandboxes) {
      assert.equal((await curl(env, [`http://evil.test:${up.httpPort}/upload`])).status, 200);
    }

    const stored = await push(hub, ORG('evil.test'));
    assert.equal(stored.serial, 1);
    const started = Date.now();
    await Promise.all(devices.map((d) => enforcing(d, policyHash(ORG('evil.test')))));
    const reachedMs = Date.now() - started;
    for (const [i, { env }] of sandboxes.entries()) {
      const r = await curl(env, [`http://evil.test:${up.httpPort}/upload`]);
      assert.equal(r.status, 403, `device ${i}`);
      assert.match(
        r.body,
        /rule 1 of organisation policy team hub http:\/\/127\.0\.0\.1:\d+ serial 1 \(line 7/,
      );
    }
    const status = await devices[0]!.client.call('GET /v1/status');
    assert.equal(status.organisation?.enforced?.origin.kind, 'hub');
    assert.equal(status.organisation?.enforced?.origin.serial, 1);
    assert.equal(status.organisation?.enforced?.origin.signedBy, 'hub.test/warden');

    await assert.rejects(
      devices[0]!.client.call('PUT /v1/policy', {
        body: { layer: 'base', yaml: policyYaml('- match: evil.test\n  action: allow') },
      }),
      (e: ApiClientError) =>
        e.name === 'PolicyLockedByOrganisation' &&
        /would allow what rule 1 of organisation policy team hub/.test(e.message) &&
        /ask your IT administrator/.test(e.hint ?? ''),
    );
    for (const d of devices) {
      await waitFor(
        'the hub to see the hash',
        () => deviceState(hub.service, d),
        (v) => v.state === 'current',
      );
    }

    // Device 2 goes in group eng, which gets a policy of its own; device 1 keeps the one for all.
    const id2 = (await devices[1]!.client.call('GET /v1/sync/status')).deviceId!;
    await hub.service.policies!.setGroup(id2, 'eng');
    await push(hub, ORG('leak.test', ' eng'), 'eng');
    await enforcing(devices[1]!, policyHash(ORG('leak.test', ' eng')));
    assert.equal((await curl(sandboxes[1]!.env, [`http://leak.test:${up.httpPort}/x`])).status, 403);
    assert.equal((await curl(sandboxes[1]!.env, [`http://evil.test:${up.httpPort}/x`])).status, 200);
    assert.equal((await curl(sandboxes[0]!.env, [`http://leak.test:${up.httpPort}/x`])).status, 200);
    const view2 = await waitFor(
      'group state',
      () => deviceState(hub.service, devices[1]!),
      (v) => v.state === 'current',
    );
    assert.equal(view2.group, 'eng');
    assert.equal(view2.expected?.serial, 2);
    t.diagnostic(
      `policy reached both devices in ${reachedMs} ms (heartbeat every ${FAST_SYNC.heartbeatMs} ms)`,
    );
  });
}
