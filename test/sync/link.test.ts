// The sync link end to end: a real daemon with its real audit store, enrolled with a hub that
// follows the contract over HTTP on loopback and builds its log with the real tlog code.

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { TestDaemon } from '../support/daemon.ts';
import { startTestDaemon } from '../support/daemon.ts';
import { append, hubAndDaemon, status, synced, waitFor } from '../support/sync.ts';
import { TestHub } from '../support/test-hub.ts';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup) await c();
});

function localHashes(d: TestDaemon): Map<number, string> {
  const db = new Database(d.daemon.paths.auditDb, { readonly: true });
  const rows = db.prepare('SELECT seq, hash FROM records').all() as Array<{ seq: number; hash: string }>;
  db.close();
  return new Map(rows.map((r) => [r.seq, r.hash]));
}

function sameAsHub(hub: TestHub, d: TestDaemon): void {
  const local = localHashes(d);
  const device = hub.device();
  assert.equal(device.records.size, local.size, 'the hub holds every record');
  for (const [seq, hash] of local) assert.equal(device.records.get(seq), hash, `seq ${seq}`);
  assert.equal(device.duplicates, 0, 'nothing was stored twice or resent');
}

test('enrolls, then every record reaches the hub once, in order, with checked receipts', async () => {
  const { hub, d, enrollment } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  const key = statSync(d.daemon.paths.syncKeyFile);
  assert.equal(key.mode & 0o777, 0o600, 'the device key is owner-only');
  const token = JSON.parse(Buffer.from(enrollment.split(':')[1]!, 'base64url').toString()).token as string;
  assert.ok(!d.logs.join('\n').includes(token), 'the one-time token is not logged');
  assert.ok(!JSON.stringify(d.events).includes(token), 'nor recorded');
  await append(d, 2500);
  const s = await synced(d);
  assert.equal(s.state, 'ok');
  assert.equal(s.backlog, 0);
  assert.ok(s.receipts >= 3, `batches of ≤ 1,000: ${s.receipts} receipts`);
  assert.equal(s.treeSize, hub.treeSize);
  sameAsHub(hub, d);
  const top = await d.client.call('GET /v1/status');
  assert.equal(top.sync?.state, 'ok');
  assert.equal(top.sync?.acknowledgedSeq, s.headSeq);
});

test('503 with Retry-After and a reset back off; 413 halves the batch; nothing is lost or doubled', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await synced(d);
  hub.failBatches.push(
    { status: 503, retryAfter: 0 },
    { status: 502 },
    { status: 413, name: 'BodyTooLarge' },
  );
  await append(d, 300);
  await waitFor(
    'backing off',
    () => status(d),
    (s) => s.state === 'backing-off' || hub.failBatches.length === 0,
  );
  const s = await synced(d);
  assert.equal(s.state, 'ok');
  assert.match(s.lastError ?? '', /413|502|503/);
  const codes = hub.log.filter((l) => l.path === '/hub/v1/batches').map((l) => l.status);
  assert.deepEqual(
    codes.filter((c) => c !== 200),
    [503, 502, 413],
  );
  sameAsHub(hub, d);
});

test('a hub that commits and drops its reply: the link resumes from its ack, nothing sent twice', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await synced(d);
  hub.dropAfterCommit = 1;
  await append(d, 50);
  await synced(d);
  assert.ok(
    hub.log.some((l) => l.status === 0),
    'a reply was dropped',
  );
  sameAsHub(hub, d);
});

test('400: the batch is parked with an alert, no hot loop, then tried again', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await synced(d);
  hub.failBatches.push({ status: 400, name: 'BadRequest' });
  await append(d, 10);
  const parked = await waitFor(
    'parked',
    () => status(d),
    (s) => s.state === 'parked',
  );
  assert.match(parked.lastError ?? '', /400/);
  assert.ok(parked.nextAttempt);
  const before = hub.log.length;
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(hub.log.length - before <= 1, 'no request storm while parked');
  assert.ok(d.logs.some((l) => l.includes('team hub sync alert')));
  await synced(d);
  sameAsHub(hub, d);
});

test('heartbeats carry the head and the backlog', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await append(d, 12);
  const s = await synced(d);
  const beat = await waitFor(
    'a heartbeat with the head',
    () => hub.device().lastHeartbeat,
    (b) => b?.head?.seq === s.headSeq,
  );
  assert.equal(beat?.backlog, 0);
});

test('append → acknowledged after the batch delay (default 250 ms), one batch in flight', async () => {
  const hub = await new TestHub().listen();
  const d = await startTestDaemon({ daemon: { poolSize: 0 } });
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await d.client.call('POST /v1/sync/enroll', { body: { enrollment: hub.enrollment() } });
  await synced(d);
  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await append(d, 1, `lat-${i}`);
    const head = d.daemon.audit.head()?.seq ?? 0;
    await waitFor(
      'the ack',
      () => status(d),
      (s) => (s.acknowledgedSeq ?? 0) >= head,
      5000,
    );
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  const worst = latencies.at(-1)!;
  process.stdout.write(
    `# append → acknowledged: median ${latencies[10]!.toFixed(0)} ms, worst of 20 ${worst.toFixed(0)} ms\n`,
  );
  assert.ok(latencies[10]! >= 200, 'the batch waits for more records first');
});
