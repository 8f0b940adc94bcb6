// kill -9 while events stream in: every acknowledged record is there after restart and the
// chain verifies, both for the store itself and for the daemon's writer (encoder and writer
// threads, batches in flight when the process dies).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { AuditStore } from './store.ts';

const support = (name: string) => fileURLToPath(new URL(`../../test/support/audit/${name}`, import.meta.url));
const child = support('crash-child.ts');
const writerChild = support('crash-writer-child.ts');

async function runAndKill(file: string, acksBeforeKill: number, argv = [child, file]): Promise<string[]> {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buffered = '';
  let stderr = '';
  const acked: string[] = [];
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      acked.push(...lines);
      if (acked.length >= acksBeforeKill && proc.exitCode === null && !proc.killed) proc.kill('SIGKILL');
    });
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
  return acked; // only complete lines count as acknowledged
}

test('kill -9 mid-stream: every acknowledged seq survives and the chain verifies', {
  timeout: 120_000,
}, async () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    const first = (await runAndKill(file, 150)).map(Number);
    const second = (await runAndKill(file, 150)).map(Number); // restart on the crashed database, crash again
    const acked = [...first, ...second];
    assert.ok(acked.length >= 300);
    assert.ok(second[0]! > Math.max(...first), 'the restarted writer continues the chain');
    const store = AuditStore.open(file, { device: TEST_DEVICE });
    try {
      for (const seq of acked) assert.ok(store.get(seq), `acknowledged record ${seq} is missing`);
      const status = store.verify();
      assert.equal(status.ok, true, JSON.stringify(status));
      assert.ok((status.head?.seq ?? 0) >= Math.max(...acked));
    } finally {
      store.close();
    }
  } finally {
    dispose();
  }
});

test("kill -9 of the daemon's writer with batches in flight: every acknowledged event and all before it survive", {
  timeout: 120_000,
}, async () => {
  const { dir, dispose } = makeTempDir();
  try {
    const file = path.join(dir, 'audit.db');
    // Each line: an acknowledged event's target, and the last request record taken before it.
    const acked = [
      ...(await runAndKill(file, 25, [writerChild, file, 'a'])),
      ...(await runAndKill(file, 25, [writerChild, file, 'b'])), // restarted on the crashed file
    ].map((line) => line.split(' ') as [string, string]);
    assert.ok(acked.length >= 50);
    const db = new Database(file, { readonly: true });
    let bodies: string[];
    try {
      bodies = db.prepare('SELECT body FROM records ORDER BY seq').pluck().all() as string[];
    } finally {
      db.close();
    }
    const ids = new Set(bodies.map((b) => /"(?:id|target)":"([^"]+)"/.exec(b)?.[1]));
    for (const [target, last] of acked) {
      assert.ok(ids.has(target), `acknowledged event ${target} is missing`);
      const run = target.split('-')[1];
      for (let i = 0; i <= Number(last); i++) {
        if (!ids.has(`rq-${run}-${i}`))
          assert.fail(`request record rq-${run}-${i}, taken before ${target}, is missing`);
      }
    }
    const store = AuditStore.open(file, { device: TEST_DEVICE });
    try {
      const status = store.verify();
      assert.equal(status.ok, true, JSON.stringify(status));
      assert.equal(status.records, bodies.length);
    } finally {
      store.close();
    }
  } finally {
    dispose();
  }
});
