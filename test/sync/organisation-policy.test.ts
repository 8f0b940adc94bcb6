// The organisation policy pushed from a real hub (SQLite and, with WARDEN_TEST_PG,
// PostgreSQL) to two real enrolled daemons: it reaches both (curl through each proxy gets
// the organisation's deny), a lower-layer edit that weakens it is refused with the reason,
// a device group gets its own policy, and the hub's device list shows what each enforces.

import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { ApiClientError } from '../../supervisor/client/api-client.ts';
import { policyHash } from '../../supervisor/policy/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, type TestDaemon } from '../support/daemon.ts';
import { startTestHub, storeKinds, type TestHub } from '../support/hub/hub.ts';
import {
  deviceState,
  enforcing,
  enrolledDaemon,
  ORG,
  PROJECT,
  push,
} from '../support/organisation-policy.ts';
import { FAST_SYNC, waitFor } from '../support/sync.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

for (const kind of storeKinds()) {
  test(`${kind}: a pushed policy reaches two devices; weakening it is refused; a group gets its own`, async (t) => {
    const up = await startUpstreams();
    t.after(() => up.close());
    const hub = await startTestHub(t, kind);
    const devices = [await enrolledDaemon(hub, up), await enrolledDaemon(hub, up)];
    // Stopped before the hub's database is dropped (t.after runs in order: the hub's first).
    try {
      await pushedToBoth(t, hub, up, devices);
    } finally {
      await Promise.all(devices.map((d) => d.stop()));
    }
  });
}

async function pushedToBoth(
  t: TestContext,
  hub: TestHub,
  up: Upstreams,
  devices: TestDaemon[],
): Promise<void> {
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
}
