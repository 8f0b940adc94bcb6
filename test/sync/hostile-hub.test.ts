// The sync link facing a hostile or broken hub, and hostile input to its local API: the
// device never trusts what it cannot check, never stores a key the hub did not accept, and
// never spins or crashes on a bad answer.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, test } from 'node:test';
import { ApiClientError } from '../../supervisor/client/api-client.ts';
import { formatEnrollment } from '../../supervisor/hub-protocol/enrollment.ts';
import { append, hubAndDaemon, status, syncDaemon, synced, waitFor } from '../support/sync.ts';
import { TestHub } from '../support/test-hub.ts';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function refused(p: Promise<unknown>, name: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (error: unknown) => {
    assert.ok(error instanceof ApiClientError, String(error));
    assert.equal(error.details.name, name);
    assert.match(error.message, message);
    return true;
  });
}

test('enrollment: a hub whose checkpoint is not signed by the key in the string is refused', async () => {
  const real = await new TestHub().listen();
  const impostor = await new TestHub().listen();
  const d = await syncDaemon();
  cleanup.push(
    () => d.stop(),
    () => real.close(),
    () => impostor.close(),
  );
  // The impostor's token and URL, the real hub's key.
  const fake = JSON.parse(Buffer.from(impostor.enrollment().split(':')[1]!, 'base64url').toString());
  const enrollment = formatEnrollment({ ...fake, hubKey: real.hubKey });
  await refused(
    d.client.call('POST /v1/sync/enroll', { body: { enrollment } }),
    'BadRequest',
    /not signed by the hub's key/,
  );
  assert.equal((await status(d)).state, 'off');
  assert.equal(existsSync(d.daemon.paths.syncKeyFile), false, 'no key kept for a refused enrollment');
});

test('enrollment: damaged strings, plain HTTP off loopback, spent tokens and extra fields are refused', async () => {
  const hub = await new TestHub().listen();
  const d = await syncDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  const call = (enrollment: string) => d.client.call('POST /v1/sync/enroll', { body: { enrollment } });
  await refused(call('warden-enroll-v1:!!!'), 'BadRequest', /damaged/);
  await refused(call('hello'), 'BadRequest', /not a Warden enrollment string/);
  const parts = JSON.parse(Buffer.from(hub.enrollment().split(':')[1]!, 'base64url').toString());
  await refused(
    call(formatEnrollment({ ...parts, url: 'http://192.0.2.1:8443' })),
    'BadRequest',
    /plain HTTP/,
  );
  const once = hub.enrollment();
  await call(once);
  await refused(call(once), 'Unauthorized', /spent/);
  await assert.rejects(
    d.client.call('POST /v1/sync/enroll', { body: { enrollment: once, extra: 1 } as never }),
    (e: unknown) => e instanceof ApiClientError && e.status === 400,
  );
  await assert.rejects(
    d.client.call('POST /v1/sync/enroll', { body: { enrollment: 'x'.repeat(9000) } }),
    (e: unknown) => e instanceof ApiClientError && e.status === 400,
  );
});

test('a receipt for another batch, or a lying acknowledgement, stops the link as forked', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await synced(d);
  hub.tamper = (answer, path) => {
    if (path !== '/hub/v1/batches') return answer;
    const receipt = answer.receipt as { leaf: { seq: number } };
    return { ...answer, receipt: { ...receipt, leaf: { ...receipt.leaf, received: 1 } } };
  };
  await append(d, 5);
  const s = await waitFor(
    'forked',
    () => status(d),
    (v) => v.state === 'forked',
  );
  assert.match(s.lastError ?? '', /receipt does not check: the inclusion proof/);
});

test('a challenge the local chain fails names the seq', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await append(d, 20);
  await synced(d);
  const device = hub.device();
  device.records.set(7, 'f'.repeat(64));
  device.challenge = [3, 7, 12];
  const s = await waitFor(
    'forked',
    () => status(d),
    (v) => v.state === 'forked',
  );
  assert.match(s.lastError ?? '', /seq 7\b/);
});

test('a hub that never answers: timeouts back off, and the link recovers', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await synced(d);
  hub.hang = true;
  await append(d, 5);
  const s = await waitFor(
    'backing off',
    () => status(d),
    (v) => v.state === 'backing-off',
    30_000,
  );
  assert.match(s.lastError ?? '', /did not answer within|cannot reach/);
  assert.ok(s.backlog > 0);
  hub.hang = false;
  await synced(d);
});
