// kill -9 while events stream in: every acknowledged record is there after restart and the
// chain verifies.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TEST_DEVICE } from '../../test/support/audit/samples.ts';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { AuditStore } from './store.ts';

const child = fileURLToPath(new URL('../../test/support/audit/crash-child.ts', import.meta.url));

async function runAndKill(file: string, acksBeforeKill: number): Promise<number[]> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buffered = '';
  let stderr = '';
  const acked: number[] = [];
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) acked.push(Number(line));
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
    const first = await runAndKill(file, 150);
    const second = await runAndKill(file, 150); // restart on the crashed database, crash again
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
