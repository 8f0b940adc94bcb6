// The audit writer's worker thread: it owns the writing AuditStore, so encoding, hashing,
// INSERTs, anchor writes and WAL checkpoints never run on the daemon's event loop. Messages
// arrive on one ordered channel, each a batch of events committed in one transaction; a
// message with an id is acknowledged through the shared status slot (id on success, -id on
// failure, with the reason on the reply port), or by an `ack` message when it asks so.

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { WardenEvent } from '../api/index.ts';
import { AuditStore, type AuditStoreOptions, encodeEvents } from './index.ts';
import { WriterSlot } from './worker-slots.ts';

export interface WriterInit {
  file: string;
  options: Pick<AuditStoreOptions, 'durability' | 'version' | 'busyTimeoutMs' | 'device' | 'maxPageCount'>;
  /** The shared status (WriterSlot). */
  status: Int32Array;
  reply: MessagePort;
}

/**
 * id 0: nobody waits (failures are reported as `error`). Otherwise acknowledged through the
 * shared status slot (a blocking `sync`), or with an `ack` message when `ack` says so.
 */
export type ToWriter = { id: number; events: WardenEvent[]; ack?: 'message' } | { id: number; close: true };

export type FromWriter =
  | { kind: 'fault'; fault: string | null }
  | { kind: 'error'; message: string }
  | { kind: 'warning'; message: string }
  /** An event posted with `ack: 'message'` was committed (message: why it was not). */
  | { kind: 'ack'; id: number; message?: string }
  | { kind: 'ready' }
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
  post({ kind: 'ready' });
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
    const done = (error?: unknown) => {
      if (m.ack === 'message') {
        const reply: FromWriter = { kind: 'ack', id: m.id };
        if (error !== undefined) reply.message = (error as Error)?.message ?? String(error);
        post(reply);
      } else ack(m.id, error);
    };
    try {
      if (m.events.length > 0) store.appendEncoded(encodeEvents(m.events, Date.now()));
      if (m.id) done();
    } catch (error) {
      if (m.id) done(error);
      else post({ kind: 'error', message: (error as Error)?.message ?? String(error) });
    } finally {
      Atomics.add(status, WriterSlot.FINISHED, 1);
      Atomics.notify(status, WriterSlot.FINISHED);
    }
  });
}

main();
