// How the daemon feeds the audit store: through a worker thread that owns the writing
// AuditStore (audit-writer-worker.ts), so no database work runs on the event loop. One ordered
// channel carries every event:
// - the high-volume `request.decided` and `request.ended` records (a decision, recorded
//   before its first byte goes upstream, and its end), waited on by nobody, are queued and posted together at the end of the event-loop turn
//   (one message and one transaction for many requests);
// - every other event (an answer, a policy change, a user action…) first sends the queue,
//   then is posted and `emit` WAITS (Atomics.wait on a shared status slot) until the worker
//   has committed it, so when the API call that caused it returns it is on disk; a failed
//   or timed-out commit throws.
// The worker reports the store's fault changes; `onFault` makes the daemon fail closed.
//
// Events are encoded here (encode.ts: UTF-8 bytes, moved to the worker without a copy) and
// chained here too, onto the head the worker reported and the batches sent since, so the
// two threads share the work: this one encodes and hashes, the worker inserts. The worker
// checks every batch's chain against the committed head inside its transaction; if another
// process wrote in between (a standalone `warden proxy` on the same file) or a batch
// failed, it hashes the batch itself and this side stops chaining ahead for good. At most
// MAX_IN_FLIGHT batches wait for the worker: past that, `flush` blocks until it catches up,
// so a flood of requests is slowed to the pace the trail is written at instead of queueing
// without bound.
//
// The worker runs audit-writer-worker.ts, started as every audit worker is (start-worker.ts);
// the slots of the shared status are WriterSlot (worker-slots.ts).

import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import type { WardenEvent } from '../api/index.ts';
import type { Disposer, EventBus } from '../events/index.ts';
import type { FromWriter, ToWriter, WriterInit } from './audit-writer-worker.ts';
import {
  AuditWriteError,
  batchSize,
  chainHashes,
  type EncodedBatch,
  emptyBatch,
  encodeEvents,
  GENESIS_HASH,
} from './index.ts';
import { startWorker } from './start-worker.ts';
import { sharedSlots, WriterSlot } from './worker-slots.ts';

const MAX_QUEUE = 5_000;
const MAX_IN_FLIGHT = 16;
const { ACK, FINISHED, STALE } = WriterSlot;

export interface AuditWriterOptions {
  durability?: WriterInit['options']['durability'];
  version?: string;
  busyTimeoutMs?: number;
  device?: WriterInit['options']['device'];
  maxPageCount?: number;
  /** Called when the store's fault changes (a message when writes fail, null when they recover). */
  onFault?: (fault: string | null) => void;
  /** A batch of request records that could not be committed. */
  onError?: (error: Error) => void;
  onWarning?: (message: string) => void;
  /** How long `emit` waits for the commit of an acknowledged event (default 5 s). */
  ackTimeoutMs?: number;
  /** How long opening waits for the worker (default 30 s). */
  startTimeoutMs?: number;
}

export class AuditWriter {
  readonly file: string;
  readonly #worker: Worker;
  readonly #status: Int32Array;
  readonly #reply: MessagePort;
  readonly #ackTimeoutMs: number;
  readonly #onFault: (fault: string | null) => void;
  readonly #onError: (error: Error) => void;
  #nextId = 1;
  #queue: EncodedBatch = emptyBatch();
  /** Batches posted (the worker counts those it has finished in the FINISHED slot). */
  #posted = 0;
  /** The head the next batch is chained onto (null: the worker hashes), and the writer's context. */
  #chainHead: { seq: number; hash: string } | null = null;
  #context = '';
  #scheduled: NodeJS.Immediate | undefined;
  #fault: string | null = null;
  #closed = false;

  private constructor(file: string, options: AuditWriterOptions) {
    this.file = file;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.#onFault = options.onFault ?? (() => {});
    this.#onError = options.onError ?? (() => {});
    this.#status = sharedSlots(WriterSlot);
    const { port1, port2 } = new MessageChannel();
    this.#reply = port1;
    const init: WriterInit = {
      file,
      options: {
        ...(options.durability !== undefined && { durability: options.durability }),
        ...(options.version !== undefined && { version: options.version }),
        ...(options.busyTimeoutMs !== undefined && { busyTimeoutMs: options.busyTimeoutMs }),
        ...(options.device !== undefined && { device: options.device }),
        ...(options.maxPageCount !== undefined && { maxPageCount: options.maxPageCount }),
      },
      status: this.#status,
      reply: port2,
    };
    this.#worker = startWorker('audit-writer-worker', { workerData: init, transferList: [port2] });
    this.#worker.unref();
    const onWarning = options.onWarning ?? (() => {});
    this.#worker.on('message', (m: FromWriter) => {
      if (m.kind === 'fault') this.#setFault(m.fault);
      else if (m.kind === 'error') this.#onError(new AuditWriteError(m.message, 'WRITE'));
      else if (m.kind === 'warning') onWarning(m.message);
    });
    this.#worker.on('error', (error) => {
      if (this.#closed) return;
      this.#setFault(`the audit writer thread failed: ${error.message}`);
    });
  }

  /**
   * Start the writer thread and wait until it has opened (creating when absent) the store.
   * Asynchronous: while the thread loads its modules the event loop must keep running.
   */
  static async open(file: string, options: AuditWriterOptions = {}): Promise<AuditWriter> {
    const writer = new AuditWriter(file, options);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new AuditWriteError(`audit writer thread for ${file} did not start`, 'TIMEOUT')),
          options.startTimeoutMs ?? 30_000,
        );
        const done = (error?: Error) => {
          clearTimeout(timer);
          writer.#worker.off('message', onMessage);
          writer.#worker.off('error', done);
          writer.#worker.off('exit', onExit);
          if (error) reject(error);
          else resolve();
        };
        const onMessage = (m: FromWriter) => {
          if (m.kind === 'ready') {
            writer.#chainHead = m.head ?? { seq: 0, hash: GENESIS_HASH };
            writer.#context = m.context;
            done();
          } else if (m.kind === 'failed') done(new AuditWriteError(m.message, 'OPEN'));
        };
        const onExit = () => done(new AuditWriteError(`audit writer thread for ${file} exited`, 'EXIT'));
        writer.#worker.on('message', onMessage);
        writer.#worker.on('error', done);
        writer.#worker.on('exit', onExit);
      });
    } catch (error) {
      writer.#closed = true;
      void writer.#worker.terminate();
      writer.#reply.close();
      throw error;
    }
    return writer;
  }

  /** null when writes succeed; otherwise what failed (as reported by the writer thread). */
  get fault(): string | null {
    return this.#fault;
  }

  /** Record every event the bus emits (see the file comment); disposing only unsubscribes. */
  attach(bus: EventBus): Disposer {
    return bus.subscribe((event) => this.take(event));
  }

  take(event: WardenEvent): void {
    if (this.#closed) throw new AuditWriteError(`audit writer for ${this.file} is closed`, 'CLOSED');
    if (event.type === 'request.decided' || event.type === 'request.ended') {
      encodeEvents([event], Date.now(), this.#queue);
      if (batchSize(this.#queue) >= MAX_QUEUE) this.flush();
      else this.#scheduled ??= setImmediate(() => this.flush());
      return;
    }
    const encoded = encodeEvents([event], Date.now());
    this.flush();
    // Throws on failure: the bus reports it, and the fault makes the proxy fail closed.
    this.#call({ id: this.#id(), events: encoded }, this.#ackTimeoutMs);
  }

  /** Send every queued record to the writer thread now (committed asynchronously). */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (batchSize(this.#queue) === 0 || this.#closed) return;
    const events = this.#queue;
    this.#queue = emptyBatch();
    this.#waitForRoom();
    this.#post({ id: 0, events });
  }

  /** Block while MAX_IN_FLIGHT batches are waiting for the worker (at most the ack timeout). */
  #waitForRoom(): void {
    const deadline = Date.now() + this.#ackTimeoutMs;
    for (;;) {
      const finished = Atomics.load(this.#status, FINISHED);
      if (((this.#posted - finished) | 0) < MAX_IN_FLIGHT) return;
      const left = deadline - Date.now();
      if (left <= 0) return; // the worker is stuck; its fault (if any) is already reported
      Atomics.wait(this.#status, FINISHED, finished, Math.min(left, 1000));
    }
  }

  /** Wait until everything sent so far is committed (throws if the last commit failed). */
  sync(timeoutMs = this.#ackTimeoutMs): void {
    this.flush();
    this.#call({ id: this.#id(), events: emptyBatch() }, timeoutMs);
  }

  /** Commit what is queued, close the store and end the thread. */
  close(timeoutMs = 30_000): void {
    if (this.#closed) return;
    this.flush();
    try {
      this.#call({ id: this.#id(), close: true }, timeoutMs);
    } finally {
      this.#closed = true;
      this.#reply.close();
      void this.#worker.terminate();
    }
  }

  #id(): number {
    const id = this.#nextId;
    this.#nextId = id >= 0x3fffffff ? 1 : id + 1;
    return id;
  }

  #post(message: ToWriter): void {
    if (!('events' in message)) return this.#worker.postMessage(message);
    this.#posted = (this.#posted + 1) | 0;
    this.#chain(message.events);
    // The batch's buffer moves to the worker (no copy); the batch is not used here again.
    const { buffer } = message.events.bytes;
    this.#worker.postMessage(message, buffer.byteLength > 0 ? [buffer as ArrayBuffer] : []);
  }

  /** Hash the batch onto the expected head, unless the worker found a chain stale before. */
  #chain(batch: EncodedBatch): void {
    const head = this.#chainHead;
    if (head === null || batchSize(batch) === 0) return;
    if (Atomics.load(this.#status, STALE) !== 0) {
      this.#chainHead = null;
      return;
    }
    const hashes = chainHashes(batch, head, this.#context);
    batch.chain = { baseSeq: head.seq, baseHash: head.hash, hashes };
    this.#chainHead = { seq: head.seq + hashes.length, hash: hashes[hashes.length - 1] as string };
  }

  #call(message: ToWriter, timeoutMs: number): void {
    Atomics.store(this.#status, ACK, 0);
    this.#post(message);
    this.#await(message.id, timeoutMs);
  }

  #await(id: number, timeoutMs: number): void {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = Atomics.load(this.#status, ACK);
      if (v === id) return;
      if (v === -id) {
        let message = 'audit write failed';
        for (let r = receiveMessageOnPort(this.#reply); r; r = receiveMessageOnPort(this.#reply)) {
          const m = r.message as { id: number; message: string };
          if (m.id === id) message = m.message;
        }
        throw new AuditWriteError(message, 'WRITE');
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new AuditWriteError(
          `audit trail ${this.file}: no commit acknowledgement within ${timeoutMs} ms`,
          'TIMEOUT',
        );
      }
      Atomics.wait(this.#status, ACK, v, Math.min(left, 1000));
    }
  }

  #setFault(fault: string | null): void {
    if (fault === this.#fault) return;
    this.#fault = fault;
    this.#onFault(fault);
  }
}
