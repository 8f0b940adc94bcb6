// The audit writer's worker thread: it owns the writing AuditStore, so INSERTs, anchor writes
// and WAL checkpoints never run on the daemon's event loop. Messages arrive from the encoder
// thread (audit-encoder-worker.ts) on one ordered channel, each a batch already encoded and
// (usually) chained, committed in one transaction; a message with an id is acknowledged
// through the shared status slot (id on success, -id on failure, with the reason on the reply
// port), or by an `ack` message when it asks so.

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { EncodedToWriter, WriterToEncoder } from './audit-encoder-worker.ts';
import { AuditStore, type AuditStoreOptions, GENESIS_HASH } from './index.ts';
import { adoptWorkers } from './start-worker.ts';
import { nameThread } from './thread-name.ts';
import { WriterSlot } from './worker-slots.ts';

export type { ToWriter } from './audit-encoder-worker.ts';

export interface WriterInit {
  file: string;
  options: Pick<AuditStoreOptions, 'durability' | 'version' | 'busyTimeoutMs' | 'device' | 'maxPageCount'>;
  /** The shared status (WriterSlot). */
  status: Int32Array;
  reply: MessagePort;
  /** The encoder thread's port: batches in, the head and stale chains out. */
  encoder: MessagePort;
  /** Worker entries the daemon's thread had made ready (from sources only; preparedWorkers). */
  prepared: Record<string, string>;
}

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
  nameThread('audit-writer');
  const { file, options, status, reply, encoder, prepared } = workerData as WriterInit;
  // The store starts its checkpoint worker once it has written a few thousand records; from
  // sources that first start bundles the worker's entry (0.1–0.3 s) here, in the middle of a
  // stream of commits, unless the daemon's thread had it bundled already (a bench does).
  adoptWorkers(prepared);
  const toEncoder = (m: WriterToEncoder) => encoder.postMessage(m);
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
    encoder.close();
    return;
  }
  // Before `ready`: the daemon posts nothing until then, so the encoder knows the head first.
  const report = (m: number) =>
    toEncoder({
      kind: 'head',
      m,
      head: store.head() ?? { seq: 0, hash: GENESIS_HASH },
      context: store.contextText,
    });
  report(0);
  post({ kind: 'ready' });
  encoder.on('message', (m: EncodedToWriter) => {
    if ('close' in m) {
      try {
        store.close();
        ack(m.id);
      } catch (error) {
        ack(m.id, error);
      }
      port.close();
      reply.close();
      encoder.close();
      return;
    }
    const done = (error?: unknown) => {
      if (m.ack === 'message') {
        const reply: FromWriter = { kind: 'ack', id: m.id };
        if (error !== undefined) reply.message = (error as Error)?.message ?? String(error);
        post(reply);
      } else ack(m.id, error);
    };
    let stale = false;
    try {
      if (m.batch) stale = store.appendEncoded(m.batch).chained === false;
      if (m.id) done();
    } catch (error) {
      if (m.id) done(error);
      else post({ kind: 'error', message: (error as Error)?.message ?? String(error) });
    } finally {
      if (stale || m.report) report(m.m);
      Atomics.add(status, WriterSlot.FINISHED, 1);
      Atomics.notify(status, WriterSlot.FINISHED);
    }
  });
}

main();
