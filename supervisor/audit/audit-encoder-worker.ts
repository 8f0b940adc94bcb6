// The audit writer's encoder thread (audit-writer.ts): every message the daemon posts for the
// writer passes through here, in order. Batches arrive encoded (the daemon encodes each event
// as it is taken, encode.ts); here they are chained onto the head the writer is expected to
// have when it gets them (batch-chain.ts) and move on to the writer thread by transfer, so the
// writer only binds and inserts, and neither hashes on the event loop nor on the writer.
//
// Chaining ahead (chain-ahead.ts): the writer reports its head and context once it has
// opened the store, and this thread tells the daemon it is ready once it has them (the daemon
// posts nothing before both threads are ready: messages on two ports have no order between
// them). From then on each batch is chained onto the head after the batches sent before it;
// when the writer finds a chain stale (another process wrote, a batch failed) chaining pauses
// until the writer has caught up. The writer never trusts these hashes for anything but a
// batch whose base is its committed head.

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { ChainAhead, type Head } from './chain-ahead.ts';
import { type EncodedBatch, transferList } from './encode.ts';
import { nameThread } from './thread-name.ts';

export interface EncoderInit {
  /** The writer thread's port (EncodedToWriter out, WriterToEncoder in). */
  writer: MessagePort;
}

/** What the daemon posts (through this thread) for the writer: a batch, or nothing (sync). */
export type ToWriter = { id: number; batch?: EncodedBatch; ack?: 'message' } | { id: number; close: true };

/**
 * What reaches the writer thread: the batch, chained here when the head is known; `m`
 * numbers the messages (ChainAhead), `report` asks for the writer's head once it has handled
 * this one.
 */
export type EncodedToWriter =
  | { id: number; m: number; report?: true; batch?: EncodedBatch; ack?: 'message' }
  | { id: number; close: true };

/**
 * The writer's head (and context) once it had handled message `m` (0: when it opened), sent
 * when it opens, when a chained batch was stale, and when a message asked for it.
 */
export type WriterToEncoder = { kind: 'head'; m: number; head: Head; context: string };

function main(): void {
  const port = parentPort;
  if (!port) return;
  nameThread('audit-encoder');
  const { writer } = workerData as EncoderInit;
  const ahead = new ChainAhead();
  let ready = false;
  writer.on('message', (m: WriterToEncoder) => {
    ahead.reported(m.m, m.head, m.context);
    if (!ready) port.postMessage('ready');
    ready = true;
  });
  port.on('message', (m: ToWriter) => {
    if ('close' in m) {
      writer.postMessage(m);
      port.close();
      writer.close();
      return;
    }
    const batch = m.batch;
    const { m: number, report } = ahead.next(batch);
    const out: EncodedToWriter = { id: m.id, m: number };
    if (report) out.report = true;
    if (m.ack) out.ack = m.ack;
    if (batch) out.batch = batch;
    writer.postMessage(out, batch ? transferList(batch) : []);
  });
}

main();
