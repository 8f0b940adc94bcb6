// WAL checkpoints off the writer's thread. SQLite's automatic checkpoint runs inside the
// COMMIT that crosses 1000 WAL pages, copying those pages into the database file and
// syncing it: measured here, that was about half of a batched append's commit time. A store
// that writes a lot hands this to a worker thread with its own connection, which runs
// PASSIVE checkpoints (they never block the writer or readers) whenever the writer asks.
//
// The worker is asked once enough has been written since its last checkpoint (ASK_AFTER_*),
// not after every commit: the daemon commits a small batch every 20 ms, and a checkpoint per
// commit copied the same few pages again and synced the files each time (about 20 µs of
// CPU per record at 1,900 records/s, more than the insert itself). SQLite's own automatic
// checkpoint waits for 1,000 WAL pages in the same way.
//
// The WAL is rewound only when a write transaction starts after a checkpoint that copied
// every frame. While appends never pause, the worker is always a little behind, so the
// writer finishes the job itself (cheap: only frames the worker has not copied yet) once
// the worker reports a long WAL. If the worker cannot start, SQLite's automatic checkpoint
// stays on and nothing else changes.

import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { CheckpointJob } from './checkpoint-worker.ts';
import { startWorker } from './start-worker.ts';
import { CheckpointSlot, sharedSlots } from './worker-slots.ts';

const { ASKED, DONE, CLOSE, CLOSED, FRAMES } = CheckpointSlot;

/** Start the worker after this many records: small stores never need it. */
export const CHECKPOINTER_AFTER_RECORDS = 4096;
/**
 * Ask the worker for a checkpoint once this many records, or this many commits (each
 * rewrites the B-tree's last pages), were written since the last ask. Each checkpoint
 * copies the B-tree's right edge and the segment index's pages again, so asking after every
 * 1,000 records cost the worker about a third more CPU a record than after 4,000 (1.9
 * against 1.5 µs), and 4,000 a sixth more than 16,000 (1.50 against 1.27 µs, four
 * alternating pairs; a WAL of ~16 MB between checkpoints, well under REWIND_BYTES).
 */
export const ASK_AFTER_RECORDS = 16_000;
export const ASK_AFTER_COMMITS = 100;
/** WAL size past which the writer completes the checkpoint itself (so the WAL is rewound). */
const REWIND_BYTES = 64 * 1024 * 1024;

export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #state = sharedSlots(CheckpointSlot);
  readonly #db: Database.Database;
  #asked = 0;
  /** Records and commits since the worker was last asked. */
  #records = 0;
  #commits = 0;
  readonly #rewindFrames: number;

  private constructor(db: Database.Database, file: string, synchronous: 'FULL' | 'NORMAL') {
    this.#db = db;
    this.#rewindFrames = REWIND_BYTES / (db.pragma('page_size', { simple: true }) as number);
    const job: CheckpointJob = { state: this.#state, file, synchronous };
    this.#worker = startWorker('checkpoint-worker', { execArgv: [], workerData: job });
    this.#worker.unref();
    this.#worker.on('error', () => {});
    // A worker that ended without saying so (its entry module failed to load) counts as
    // closed too, so the next commit turns SQLite's automatic checkpoints back on.
    this.#worker.on('exit', () => Atomics.store(this.#state, CLOSED, 1));
  }

  /** Take over checkpoints of `db` (the writer's connection); null if no worker can start. */
  static start(db: Database.Database, file: string, synchronous: 'FULL' | 'NORMAL'): WalCheckpointer | null {
    try {
      const checkpointer = new WalCheckpointer(db, file, synchronous);
      db.pragma('wal_autocheckpoint = 0');
      return checkpointer;
    } catch {
      return null;
    }
  }

  /**
   * After a commit of `records` records: ask for a checkpoint once enough was written and
   * none is running; rewind a long WAL. False when the worker has gone (it could not open
   * the database): automatic checkpoints are back on and this object is done.
   */
  committed(records: number): boolean {
    if (Atomics.load(this.#state, CLOSED) === 1) {
      this.#db.pragma('wal_autocheckpoint = 1000');
      return false;
    }
    if (Atomics.load(this.#state, FRAMES) > this.#rewindFrames) {
      Atomics.store(this.#state, FRAMES, 0);
      try {
        this.#db.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // A later commit tries again.
      }
    }
    this.#records += records;
    this.#commits++;
    if (this.#records < ASK_AFTER_RECORDS && this.#commits < ASK_AFTER_COMMITS) return true;
    if (Atomics.load(this.#state, DONE) === this.#asked) {
      this.#records = 0;
      this.#commits = 0;
      this.#asked = (this.#asked + 1) | 0;
      Atomics.store(this.#state, ASKED, this.#asked);
      Atomics.notify(this.#state, ASKED);
    }
    return true;
  }

  /** Checkpoints asked of the worker so far. */
  get asked(): number {
    return this.#asked;
  }

  /** Stop the worker and wait (at most 2 s) until its connection is closed. */
  close(): void {
    Atomics.store(this.#state, CLOSE, 1);
    Atomics.notify(this.#state, ASKED);
    const deadline = Date.now() + 2000;
    while (Atomics.load(this.#state, CLOSED) === 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      Atomics.wait(this.#state, CLOSED, 0, left);
    }
    void this.#worker.terminate();
  }
}

/**
 * Where a writable store's checkpoints run: inside its commits (SQLite's automatic ones) until
 * it has written CHECKPOINTER_AFTER_RECORDS records, then in a WalCheckpointer worker (back
 * inside commits if the worker cannot start or goes away).
 */
export class WalCheckpoints {
  readonly #db: Database.Database;
  readonly #file: string;
  readonly #synchronous: 'FULL' | 'NORMAL';
  /** Records written so far; -1 once the worker was tried. */
  #written = 0;
  #worker: WalCheckpointer | null = null;

  constructor(db: Database.Database, file: string, synchronous: 'FULL' | 'NORMAL') {
    this.#db = db;
    this.#file = file;
    this.#synchronous = synchronous;
  }

  get where(): 'commits' | 'worker' {
    return this.#worker ? 'worker' : 'commits';
  }

  /** Checkpoints asked of the worker so far (0 while SQLite's automatic ones run). */
  get asked(): number {
    return this.#worker?.asked ?? 0;
  }

  /** After each successful commit of `records` records. */
  committed(records: number): void {
    if (this.#worker) {
      if (!this.#worker.committed(records)) this.#worker = null;
      return;
    }
    if (this.#written < 0) return;
    this.#written += records;
    if (this.#written < CHECKPOINTER_AFTER_RECORDS) return;
    this.#written = -1;
    this.#worker = WalCheckpointer.start(this.#db, this.#file, this.#synchronous);
  }

  close(): void {
    this.#worker?.close();
  }
}
