// The audit writer's worker thread: it owns the writing AuditStore, so encoding, hashing,
// INSERTs, anchor writes and WAL checkpoints never run on the daemon's event loop. Messages
// arrive on one ordered channel; a message with an id is acknowledged through the shared
// status slot (id on success, -id on failure, with the reason on the reply port).

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { AuditStore, type AuditStoreOptions, type EncodedBatch } from './index.ts';
import { WriterSlot } from './worker-slots.ts';

export interface WriterInit {
  file: string;
  options: Pick<AuditStoreOptions, 'durability' | 'version' | 'busyTimeoutMs' | 'device' | 'maxPageCount'>;
  /** The shared status (WriterSlot). */
  status: Int32Array;
  reply: MessagePort;
}

/** id 0: nobody waits (failures are reported as `error`). */
export type ToWriter = { id: number; events: EncodedBatch } | { id: number; close: true };

export type FromWriter =
  | { kind: 'fault'; fault: string | null }
  | { kind: 'error'; message: string }
  | { kind: 'warning'; message: string }
  | { kind: 'ready'; head: { seq: number; hash: string } | null; context: string }
  | { kind: 'failed'; message: string };

function main(): void {
  const port = parentPort;
  if (!port) return;
  const { file, options, status, reply } = workerData as WriterInit;
  const post = (m: FromWriter) => port.postMessage(m);
  const ack = (id: number, error?: unknown) => {
    if (error !== undefined) reply.postMessage({ id, message: (error as Error)?.message ?? String(error) });
    Atomics.store(status, WriterSlot.ACK, error === undefined ? id : -id);
    Atomics.notify(status, WriterSlot.ACK);
  };
  let store: AuditStore;
  try {
    store = AuditStore.open(file, {
      ...options,
      onFault: (fault) => post({ kind: 'fault', fault }),
      onWarning: (message) => post({ kind: 'warning', message }),
    });
  } catch (error) {
    post({ kind: 'failed', message: (error as Error)?.message ?? String(error) });
    port.close();
    reply.close();
    return;
  }
  post({ kind: 'ready', head: store.head(), context: store.contextText });
  port.on('message', (m: ToWriter) => {
    if ('close' in m) {
      try {
        store.close();
        ack(m.id);
      } catch (error) {
        ack(m.id, error);
      }
      port.close();
      reply.close();
      return;
    }
    // A batch the producer chained onto a head that was not the committed one is hashed
    // here instead; the STALE slot tells the producer to stop chaining ahead.
    const stale = () => m.events.chain && Atomics.store(status, WriterSlot.STALE, 1);
    try {
      if (store.appendEncoded(m.events).chained === false) stale();
      if (m.id) ack(m.id);
    } catch (error) {
      stale();
      if (m.id) ack(m.id, error);
      else post({ kind: 'error', message: (error as Error)?.message ?? String(error) });
    } finally {
      Atomics.add(status, WriterSlot.FINISHED, 1);
      Atomics.notify(status, WriterSlot.FINISHED);
    }
  });
}

main();
