// The audit store's worker threads as the bundled `warden` runs them: every worker entry
// (AUDIT_WORKERS) is an entry of build/bundle.mjs, and the bundled verify and checkpoint
// workers do their job when started the way start-worker.ts starts them in the bundle.
// The second test needs `node build/bundle.mjs` (npm test bundles first).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointJob } from '../../supervisor/audit/checkpoint-worker.ts';
import { AuditStore, GENESIS_HASH } from '../../supervisor/audit/index.ts';
import { checkReadable } from '../../supervisor/audit/schema.ts';
import { AUDIT_WORKERS } from '../../supervisor/audit/start-worker.ts';
import { chunkSql } from '../../supervisor/audit/verify-sql.ts';
import type { SliceJob, WorkerResult } from '../../supervisor/audit/verify-worker.ts';
import { CheckpointSlot, ChunkSlot, sharedSlots, ThreadState } from '../../supervisor/audit/worker-slots.ts';
import { requestEvent, TEST_DEVICE } from '../support/audit/samples.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = path.join(root, 'dist');
const bundled = AUDIT_WORKERS.every((name) => existsSync(path.join(dist, `${name}.mjs`)));

test('every audit worker is a bundle entry built from its TypeScript module', () => {
  const script = readFileSync(path.join(root, 'build/bundle.mjs'), 'utf8');
  for (const name of AUDIT_WORKERS) {
    assert.ok(existsSync(path.join(root, 'supervisor/audit', `${name}.ts`)), `${name}.ts exists`);
    assert.ok(
      script.includes(`'${name}': path.join(root, 'supervisor/audit/${name}.ts')`),
      `build/bundle.mjs has the entry ${name}`,
    );
  }
});

/** Poll a shared slot until it holds `value` (bounded). */
async function until(state: Int32Array, slot: number, value: number, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Atomics.load(state, slot) !== value) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('the bundled verify and checkpoint workers run (dist/*.mjs)', {
  skip: !bundled && 'no bundle: run `node build/bundle.mjs` first',
}, async () => {
  const { dir, dispose } = makeTempDir();
  const file = path.join(dir, 'audit.db');
  const store = AuditStore.open(file, { device: TEST_DEVICE, durability: 'normal' });
  const workers: Worker[] = [];
  try {
    store.appendBatch(Array.from({ length: 300 }, (_, i) => requestEvent(i)));
    const head = store.head();
    assert.ok(head);

    // Verify: one worker claims every chunk of the chain (100 seqs each).
    const db = new Database(file, { readonly: true });
    const layout = checkReadable(db, file);
    db.close();
    const state = sharedSlots(ChunkSlot.WORKERS + 1);
    const { port1, port2 } = new MessageChannel();
    const job: SliceJob = {
      port: port2,
      state,
      index: 0,
      file,
      sql: chunkSql(layout),
      first: 1,
      last: head.seq,
      chunkRows: 100,
      anchorAt: head.seq,
    };
    workers.push(
      new Worker(path.join(dist, 'verify-worker.mjs'), {
        execArgv: [],
        workerData: job,
        transferList: [port2],
      }),
    );
    await until(state, ChunkSlot.WORKERS, ThreadState.DONE, 'the verify worker');
    const result = receiveMessageOnPort(port1)?.message as WorkerResult;
    port1.close();
    assert.equal(result.error, undefined);
    // Its three consecutive chunks come back as one run, linked from genesis to the head.
    assert.deepEqual(
      result.chunks.map((c) => [c.chunk, c.chunks, c.ok, c.records]),
      [[0, 3, true, 300]],
    );
    assert.equal(result.chunks[0]?.firstPrev, GENESIS_HASH);
    assert.equal(result.chunks[0]?.lastHash, head.hash);
    assert.equal(result.chunks[0]?.anchorHash, head.hash);

    // Checkpoint: asked once, it checkpoints; told to close, it closes its connection.
    const ckpt = sharedSlots(CheckpointSlot);
    const checkpoint: CheckpointJob = { state: ckpt, file, synchronous: 'NORMAL' };
    workers.push(
      new Worker(path.join(dist, 'checkpoint-worker.mjs'), { execArgv: [], workerData: checkpoint }),
    );
    Atomics.store(ckpt, CheckpointSlot.ASKED, 1);
    Atomics.notify(ckpt, CheckpointSlot.ASKED);
    await until(ckpt, CheckpointSlot.DONE, 1, 'the checkpoint');
    Atomics.store(ckpt, CheckpointSlot.CLOSE, 1);
    Atomics.notify(ckpt, CheckpointSlot.ASKED);
    await until(ckpt, CheckpointSlot.CLOSED, 1, 'the checkpoint worker to close');
  } finally {
    for (const worker of workers) await worker.terminate();
    store.close();
    dispose();
  }
});
