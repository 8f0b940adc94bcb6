// How far an asynchronous verify or export has gone, shared with its worker threads: one
// Int32 counter of rows checked (or written) that each worker bumps after every chunk it
// reads, and a slot for the total once a worker knows it. The thread that started them
// polls it (Atomics.load) while it waits on their messages, so it never blocks. Free of
// imports so a worker's bundle entry stays small.

export const ProgressSlot = {
  /** Rows checked (verify) or written (export) so far, summed over every worker. */
  DONE: 0,
  /** How many rows there are in all (set by the export worker once it has counted; verify knows it up front). */
  TOTAL: 1,
} as const;

/** A zeroed shared progress counter. */
export function progressCounter(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * 2));
}

/** A worker's report: `rows` more are done. No-op without a counter (the synchronous path). */
export function addDone(counter: Int32Array | undefined, rows: number): void {
  if (counter && rows > 0) Atomics.add(counter, ProgressSlot.DONE, rows);
}

export function readDone(counter: Int32Array): number {
  return Atomics.load(counter, ProgressSlot.DONE);
}
