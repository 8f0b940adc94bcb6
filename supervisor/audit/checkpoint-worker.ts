// The WAL checkpointer's worker thread (wal-checkpointer.ts): its own connection to the
// writer's database, running a PASSIVE checkpoint (it never blocks the writer or readers)
// each time the writer asks, until it is told to close. The shared state's slots are
// CheckpointSlot.

import { createRequire } from 'node:module';
import { workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { nameThread } from './thread-name.ts';
import { CheckpointSlot } from './worker-slots.ts';

/** better-sqlite3 is required, not imported (see verify-worker.ts). */
function loadDriver(): typeof Database {
  return createRequire(import.meta.url)('better-sqlite3') as typeof Database;
}

/** What the checkpoint worker is given. */
export interface CheckpointJob {
  /** The shared state (CheckpointSlot). */
  state: Int32Array;
  file: string;
  synchronous: 'FULL' | 'NORMAL';
}

function main(): void {
  nameThread('audit-ckpt');
  const { state, file, synchronous } = workerData as CheckpointJob;
  let db: Database.Database | null = null;
  try {
    const Driver = loadDriver();
    db = new Driver(file, { fileMustExist: true });
    db.pragma(`synchronous = ${synchronous}`);
    let done = 0;
    while (Atomics.load(state, CheckpointSlot.CLOSE) === 0) {
      const asked = Atomics.load(state, CheckpointSlot.ASKED);
      if (asked === done) {
        Atomics.wait(state, CheckpointSlot.ASKED, asked, 1000);
        continue;
      }
      try {
        const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number } | undefined>;
        Atomics.store(state, CheckpointSlot.FRAMES, result && result.log > 0 ? result.log : 0);
      } catch {
        // Busy or out of space: the writer's own checkpoint is the fallback.
      }
      done = asked;
      Atomics.store(state, CheckpointSlot.DONE, done);
    }
  } finally {
    try {
      db?.close();
    } catch {
      // Closing is best effort: the thread ends either way.
    }
    Atomics.store(state, CheckpointSlot.CLOSED, 1);
    Atomics.notify(state, CheckpointSlot.CLOSED);
  }
}

main();
