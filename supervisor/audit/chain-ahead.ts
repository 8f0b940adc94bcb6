// Chaining batches ahead of the writer (audit-encoder-worker.ts): the encoder hashes each
// batch onto the head the writer will have when it gets there, assuming every batch before it
// commits. The writer checks the base inside its transaction (store-write.ts) and hashes the
// batch itself when it is wrong, so a wrong guess costs time, never the chain.
//
// Every message to the writer is numbered. The writer reports its head after message m when
// that batch was chained on a stale base, or when the message asked for it. A report is only
// a base to chain on when nothing was sent after m (the writer's head then is exactly where
// the next batch lands); otherwise chaining pauses, and the messages sent while it is paused
// ask for reports, so it resumes once the writer has caught up (another process wrote in
// between, a batch failed, or the head was not known yet).

import { chainHashes } from './batch-chain.ts';
import type { EncodedBatch } from './encode.ts';
import { batchSize } from './encode.ts';

export interface Head {
  seq: number;
  hash: string;
}

export class ChainAhead {
  /** Where the next batch lands (null: not known, chaining paused). */
  #head: Head | null = null;
  #context = '';
  /** The number of the last message sent. */
  #sent = 0;

  /** Whether batches are being chained now. */
  get chaining(): boolean {
    return this.#head !== null;
  }

  /**
   * Number the next message to the writer and, while chaining, chain `batch` (when given)
   * onto the head after the ones before it. `report`: ask the writer for its head after it.
   */
  next(batch?: EncodedBatch): { m: number; report: boolean } {
    this.#sent++;
    const head = this.#head;
    if (head === null) return { m: this.#sent, report: true };
    if (batch && batchSize(batch) > 0) {
      try {
        const hashes = chainHashes(batch, head, this.#context);
        batch.chain = { baseSeq: head.seq, baseHash: head.hash, hashes: hashes.join('') };
        this.#head = { seq: head.seq + hashes.length, hash: hashes[hashes.length - 1] as string };
      } catch {
        // A head that cannot be chained on (not 64 hex digits): the writer hashes this one.
        this.#head = null;
        return { m: this.#sent, report: true };
      }
    }
    return { m: this.#sent, report: false };
  }

  /** The writer's head (and context) once it had handled message `m` (0: when it opened). */
  reported(m: number, head: Head, context: string): void {
    this.#context = context;
    this.#head = m === this.#sent ? head : null;
  }
}
