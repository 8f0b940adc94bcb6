// The audit writer's encoder thread (audit-writer.ts): every message the daemon posts for the
// writer passes through here, in order. Events are encoded (encode.ts) and chained onto the
// head the writer is expected to have when it gets the batch (batch-chain.ts), and the batch
// moves on to the writer thread by transfer, so the writer only binds and inserts. That work
// (about 9 µs an event with the structured clone) was the writer's bottleneck, and it runs
// on neither the daemon's event loop nor the writer.
//
// Chaining ahead: the writer reports its head and context once it has opened the store, and
// this thread tells the daemon it is ready once it has them (the daemon posts nothing before
// both threads are ready: messages on two ports have no order between them); from then on
// each batch is chained onto the head after the batches sent before it. The writer
// checks a batch's base against its committed head inside the transaction; when it does not
// match (another process wrote, a batch failed) the writer hashes the batch itself and says
// so, and this thread stops chaining for good. The writer never trusts these hashes for
// anything but a batch whose base is its head.

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { WardenEvent } from '../api/index.ts';
import { chainHashes } from './batch-chain.ts';
import { encodeEvents } from './encode.ts';

export interface EncoderInit {
  /** The writer thread's port (EncodedToWriter out, FromWriterToEncoder in). */
  writer: MessagePort;
}

/** What the daemon posts (through this thread) for the writer. */
export type ToWriter = { id: number; events: WardenEvent[]; ack?: 'message' } | { id: number; close: true };

/** What reaches the writer thread: a batch encoded here, or why it could not be. */
export type EncodedToWriter =
  | { id: number; batch?: import('./encode.ts').EncodedBatch; error?: string; ack?: 'message' }
  | { id: number; close: true };

/** The writer to this thread: its head once opened, or that a chained batch was stale. */
export type WriterToEncoder =
  | { kind: 'head'; head: { seq: number; hash: string }; context: string }
  | { kind: 'stale' };

function main(): void {
  const port = parentPort;
  if (!port) return;
  const { writer } = workerData as EncoderInit;
  /** The head the next batch is chained onto (null: not known yet, or never again). */
  let head: { seq: number; hash: string } | null = null;
  let context = '';
  let stale = false;
  writer.on('message', (m: WriterToEncoder) => {
    if (m.kind === 'stale') {
      stale = true;
      head = null;
    } else if (!stale) {
      head = m.head;
      context = m.context;
      port.postMessage('ready');
    }
  });
  port.on('message', (m: ToWriter) => {
    if ('close' in m) {
      writer.postMessage(m);
      port.close();
      writer.close();
      return;
    }
    const out: EncodedToWriter = { id: m.id };
    if (m.ack) out.ack = m.ack;
    if (m.events.length === 0) return writer.postMessage(out);
    try {
      const batch = encodeEvents(m.events, Date.now());
      if (head !== null) {
        const hashes = chainHashes(batch, head, context);
        batch.chain = { baseSeq: head.seq, baseHash: head.hash, hashes };
        head = { seq: head.seq + hashes.length, hash: hashes[hashes.length - 1] as string };
      }
      out.batch = batch;
      writer.postMessage(out, [batch.bytes.buffer as ArrayBuffer]);
    } catch (error) {
      out.error = (error as Error)?.message ?? String(error);
      writer.postMessage(out);
    }
  });
}

main();
