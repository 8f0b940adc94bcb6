// kill -9 of a daemon while its batches are in flight, 20 times: every record reaches the
// hub, in order, and is stored once. Half the kills land between the hub's commit and its
// reply (the hub holds its answer), the other half at a random moment.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ApiClient } from '../../supervisor/client/api-client.ts';
import { wardenPaths } from '../../supervisor/home/index.ts';
import { waitFor } from '../support/sync.ts';
import { TestHub } from '../support/test-hub.ts';

const CHILD = fileURLToPath(new URL('../support/sync-child.ts', import.meta.url));
const KILLS = 20;
const home = mkdtempSync(path.join(os.tmpdir(), 'warden-kill-'));
const hub = await new TestHub().listen();
/** Every child started, so none outlives the test (a timed-out run left one serving). */
const children = new Set<ChildProcess>();
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await hub.close();
  rmSync(home, { recursive: true, force: true });
});

async function startChild(mode = 'append'): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, home, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the child daemon did not start in 30 s')), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the child daemon exited with ${code}`)));
  });
  return child;
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

// Each child loads the daemon from its sources (tsx): 22 of them took 58 s in a quiet CI run
// and over 300 s on the same two cores shared with other work.
test(`kill -9 mid-batch ${KILLS} times: nothing lost, nothing stored twice`, {
  timeout: 900_000,
}, async () => {
  const paths = wardenPaths(home);
  const first = await startChild('quiet');
  const client = await ApiClient.fromFiles(paths.socket, paths.tokenFile);
  await client.call('POST /v1/sync/enroll', { body: { enrollment: hub.enrollment() } });
  await kill(first);
  let betweenCommitAndReply = 0;
  for (let i = 0; i < KILLS; i++) {
    const child = await startChild();
    const commits = hub.commits;
    if (i % 2 === 0) {
      hub.replyDelayMs = 200;
      await waitFor(
        'a commit',
        () => hub.commits,
        (c) => c > commits,
      );
      betweenCommitAndReply++;
    } else {
      hub.replyDelayMs = 0;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
    }
    await kill(child);
  }
  hub.replyDelayMs = 0;
  const last = await startChild('quiet');
  const end = await ApiClient.fromFiles(paths.socket, paths.tokenFile);
  const s = await waitFor(
    'the hub to acknowledge the head',
    () => end.call('GET /v1/sync/status'),
    (v) => v.headSeq !== null && v.acknowledgedSeq === v.headSeq,
    60_000,
  );
  await kill(last);
  const db = new Database(paths.auditDb, { readonly: true });
  const local = db.prepare('SELECT seq, hash FROM records ORDER BY seq').all() as Array<{
    seq: number;
    hash: string;
  }>;
  db.close();
  const device = hub.device();
  assert.ok(local.length > KILLS * 20, `records written: ${local.length}`);
  assert.equal(device.records.size, local.length, 'every record reached the hub');
  assert.equal(device.stored, local.length, 'each stored once');
  for (const r of local) assert.equal(device.records.get(r.seq), r.hash, `seq ${r.seq}`);
  assert.equal(s.state, 'ok');
  assert.ok(betweenCommitAndReply >= KILLS / 2);
  process.stdout.write(
    `# ${local.length} records, ${KILLS} kills, ${device.duplicates} resent records trimmed by the hub\n`,
  );
});
