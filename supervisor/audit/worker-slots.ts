// The slots of the Int32 buffers the audit store shares with its worker threads, one const
// object per buffer, imported by both sides (the thread that starts a worker and the
// worker's entry module). Kept free of imports so a worker's bundle entry stays small.

/** The audit writer's status (audit-writer.ts ⇄ audit-writer-worker.ts). */
export const WriterSlot = {
  /** The last acknowledged call: its id, or -id when it failed. */
  ACK: 0,
  /** Batches the worker has finished (committed or failed). */
  FINISHED: 1,
} as const;

/** The WAL checkpointer's state (wal-checkpointer.ts ⇄ checkpoint-worker.ts). */
export const CheckpointSlot = {
  /** Checkpoints the writer asked for (a counter; wraps). */
  ASKED: 0,
  /** The ASKED value the worker last finished. */
  DONE: 1,
  /** Set to 1 by the writer: the worker closes its connection and ends. */
  CLOSE: 2,
  /** Set to 1 by the worker once its connection is closed (or could not be opened). */
  CLOSED: 3,
  /** WAL frames left after the worker's last checkpoint. */
  FRAMES: 4,
} as const;

/**
 * Verify's shared state (verify-parallel.ts ⇄ verify-chunks.ts): the next chunk to claim, the
 * flag that stops all claiming (a chunk failed), then one ThreadState slot per worker thread,
 * the i-th at WORKERS + i.
 */
export const ChunkSlot = {
  NEXT: 0,
  STOP: 1,
  WORKERS: 2,
} as const;

/**
 * A verify worker's slot: WAITING until it starts, then STARTED, then DONE once its result
 * is on its port. The caller sets a worker still WAITING to CLOSED when it no longer needs it
 * (every chunk was claimed); a worker that starts CLOSED claims nothing and posts nothing.
 */
export const ThreadState = {
  WAITING: 0,
  STARTED: 1,
  CLOSED: 2,
  DONE: 3,
} as const;

/** A zeroed shared Int32 buffer: one slot per key of a slot object, or `slots` slots. */
export function sharedSlots(slots: Readonly<Record<string, number>> | number): Int32Array {
  const count = typeof slots === 'number' ? slots : Object.keys(slots).length;
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * count));
}
