// What the sync link detects, each with real parts: a revoked key, a same-user rewrite of
// synced records with the chain and anchor recomputed, a restored older database, and a hub
// that rewrites its own log.

import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { AuditStore } from '../../supervisor/audit/index.ts';
import { append, hubAndDaemon, rewriteChain, status, syncDaemon, synced, waitFor } from '../support/sync.ts';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test('a revoked device stops, says why, and stays stopped after a restart', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(() => hub.close());
  await append(d, 20);
  await synced(d);
  hub.device().revoked = true;
  await append(d, 5);
  const s = await waitFor(
    'revoked',
    () => status(d),
    (v) => v.state === 'revoked',
  );
  assert.match(s.lastError ?? '', /revoked/);
  await d.daemon.stop();
  const requests = hub.log.length;
  const again = await syncDaemon(d.home);
  cleanup.push(() => again.stop());
  await append(again, 5);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal((await status(again)).state, 'revoked');
  assert.equal(hub.log.length, requests, 'no request after the restart');
});

test('records rewritten after they synced (chain and anchor recomputed): fork naming the seq', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(() => hub.close());
  await append(d, 400);
  await synced(d);
  await d.daemon.stop();
  rewriteChain(d.daemon.paths.auditDb, 137);
  const local = AuditStore.open(d.daemon.paths.auditDb, {});
  assert.equal(local.verify().ok, true, 'the forged chain verifies locally');
  local.close();
  const again = await syncDaemon(d.home);
  cleanup.push(() => again.stop());
  const s = await waitFor(
    'forked',
    () => status(again),
    (v) => v.state === 'forked',
  );
  assert.match(s.lastError ?? '', /different record at seq 137\b/);
  assert.equal(hub.device().records.size, 400 + 2, 'the hub kept what it had');
});

test('an older copy of the audit database restored: rollback', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(() => hub.close());
  await append(d, 30);
  await synced(d);
  await d.daemon.stop();
  const db = d.daemon.paths.auditDb;
  for (const f of ['', '.anchor']) copyFileSync(db + f, `${db}${f}.bak`);
  const second = await syncDaemon(d.home);
  await append(second, 30);
  await synced(second);
  await second.daemon.stop();
  for (const f of ['', '.anchor']) copyFileSync(`${db}${f}.bak`, db + f);
  rmSync(`${db}-wal`, { force: true });
  rmSync(`${db}-shm`, { force: true });
  const third = await syncDaemon(d.home);
  cleanup.push(() => third.stop());
  const s = await waitFor(
    'forked',
    () => status(third),
    (v) => v.state === 'forked',
  );
  assert.match(s.lastError ?? '', /rollback/);
});

test('a hub that rewrites its own log fails the consistency check', async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await append(d, 10);
  await synced(d);
  hub.rewriteTree();
  await append(d, 10);
  const s = await waitFor(
    'forked',
    () => status(d),
    (v) => v.state === 'forked',
  );
  assert.match(s.lastError ?? '', /rewrote its log|does not extend/);
});

test('hub down while records are written, with a daemon restart: all arrive once after it is back', async () => {
  const { hub, d } = await hubAndDaemon();
  await append(d, 10);
  await synced(d);
  const port = Number(new URL(hub.url).port);
  await hub.close();
  await append(d, 1500, 'outage');
  await waitFor(
    'backing off',
    () => status(d),
    (v) => v.state === 'backing-off',
  );
  await d.daemon.stop();
  const again = await syncDaemon(d.home);
  cleanup.push(() => again.stop());
  await append(again, 1500, 'after-restart');
  await hub.listen(port);
  cleanup.push(() => hub.close());
  const t0 = performance.now();
  const s = await synced(again);
  process.stdout.write(
    `# ${s.headSeq} records, synced ${(performance.now() - t0).toFixed(0)} ms after the hub came back\n`,
  );
  assert.equal(s.state, 'ok');
  const device = hub.device();
  assert.equal(device.records.size, s.headSeq);
  assert.equal(device.duplicates, 0);
});
