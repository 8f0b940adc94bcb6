// How the daemon feeds the audit store: through a worker thread that owns the writing
// AuditStore (audit-writer-worker.ts), so no database work runs on the event loop. One ordered
// channel carries every event:
// - the high-volume `request.decided` and `request.ended` records, waited on by nobody, are
//   queued and posted together every FLUSH_MS (one message, one wake-up and one transaction
//   for many requests; the queue and the thread live and die with the process);
// - every other event first sends the queue, then is posted with an id the worker
//   acknowledges by message; `emit` never waits. `committed()` is the promise the API awaits
//   before it answers the call that caused the event; a failed or timed-out commit rejects
//   it (and is reported to `onError`). Only `sync` and `close` (tests, shutdown) block.
// The worker reports the store's fault changes; `onFault` makes the daemon fail closed.
//
// Events are encoded here when they are posted (encode.ts), and a batch crosses as bytes
// (transferred) to the encoder thread, which chains it onto the head the writer will have,
// then to the writer thread, which only inserts (README "The append path": encoding here
// costs the event loop a little more than the structured clone it replaces, and spares the
// other threads reading it). An event that cannot be encoded fails alone (`onError`; an
// acknowledged one also rejects `committed()`). At most MAX_IN_FLIGHT batches wait for the
// writer: past that, `flush` blocks until it catches up, so a flood of requests is slowed
// to the pace the trail is written at instead of queueing without bound.
// The threads start as every audit worker does (start-worker.ts); the slots of the shared
// status are WriterSlot (worker-slots.ts).

import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import type { WardenEvent } from '../api/index.ts';
import type { Disposer, EventBus } from '../events/index.ts';
import type { EncoderInit } from './audit-encoder-worker.ts';
import type { FromWriter, ToWriter, WriterInit } from './audit-writer-worker.ts';
import { batchSize, type EncodedBatch, emptyBatch, encodeEvents, packBatch, transferList } from './encode.ts';
import { AuditWriteError } from './index.ts';
import { preparedWorkers, startWorker } from './start-worker.ts';
import { sharedSlots, WriterSlot } from './worker-slots.ts';

const MAX_QUEUE = 5_000;
const MAX_IN_FLIGHT = 16;
/** How long request records wait to be posted together. */
const FLUSH_MS = 20;
/** The most a new pending batch's buffer starts at (it grows as needed). */
const MAX_START_BYTES = 4 * 1024 * 1024;
const { ACK, FINISHED } = WriterSlot;

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

interface Pending {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class AuditWriter {
  readonly file: string;
  readonly #worker: Worker;
  /** Every message for the writer goes through the encoder thread, in order. */
  readonly #encoder: Worker;
  readonly #status: Int32Array;
  readonly #reply: MessagePort;
  readonly #ackTimeoutMs: number;
  readonly #onFault: (fault: string | null) => void;
  readonly #onError: (error: Error) => void;
  #nextId = 1;
  /** Request records taken since the last flush. */
  #queue: WardenEvent[] = [];
  /** Bytes the last batch took a record: the next one starts at that size. */
  #bytesPerEvent = 1024;
  /** Batches posted (the worker counts those it has finished in the FINISHED slot). */
  #posted = 0;
  #scheduled: NodeJS.Timeout | undefined;
  /** Acknowledged events posted and not yet committed: id → its commit. */
  readonly #pending = new Map<number, Pending>();
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
    const link = new MessageChannel();
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
      encoder: link.port1,
      prepared: preparedWorkers(['checkpoint-worker']),
    };
    this.#worker = startWorker('audit-writer-worker', {
      workerData: init,
      transferList: [port2, link.port1],
    });
    this.#worker.unref();
    const encoderInit: EncoderInit = { writer: link.port2 };
    this.#encoder = startWorker('audit-encoder-worker', {
      execArgv: [],
      workerData: encoderInit,
      transferList: [link.port2],
    });
    this.#encoder.unref();
    this.#encoder.on('error', (error) => {
      if (this.#closed) return;
      this.#setFault(`the audit encoder thread failed: ${error.message}`);
    });
    const onWarning = options.onWarning ?? (() => {});
    this.#worker.on('message', (m: FromWriter) => {
      if (m.kind === 'ack') this.#settle(m.id, m.message);
      else if (m.kind === 'fault') this.#setFault(m.fault);
      else if (m.kind === 'error') this.#onError(new AuditWriteError(m.message, 'WRITE'));
      else if (m.kind === 'warning') onWarning(m.message);
    });
    this.#worker.on('error', (error) => {
      if (this.#closed) return;
      this.#setFault(`the audit writer thread failed: ${error.message}`);
    });
  }

  /**
   * Start the threads and wait until the writer has opened (creating when absent) the store
   * and the encoder has its head. Asynchronous: while the threads load their modules the
   * event loop must keep running.
   */
  static async open(file: string, options: AuditWriterOptions = {}): Promise<AuditWriter> {
    const writer = new AuditWriter(file, options);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new AuditWriteError(`audit writer thread for ${file} did not start`, 'TIMEOUT')),
          options.startTimeoutMs ?? 30_000,
        );
        let waiting = 2;
        const threads = [writer.#worker, writer.#encoder];
        const done = (error?: Error) => {
          if (!error && --waiting > 0) return;
          clearTimeout(timer);
          for (const thread of threads) {
            thread.off('message', onMessage);
            thread.off('error', done);
            thread.off('exit', onExit);
          }
          if (error) reject(error);
          else resolve();
        };
        const onMessage = (m: FromWriter | 'ready') => {
          if (m === 'ready' || m.kind === 'ready') done();
          else if (m.kind === 'failed') done(new AuditWriteError(m.message, 'OPEN'));
        };
        const onExit = () => done(new AuditWriteError(`audit writer thread for ${file} exited`, 'EXIT'));
        for (const thread of threads) {
          thread.on('message', onMessage);
          thread.on('error', done);
          thread.on('exit', onExit);
        }
      });
    } catch (error) {
      writer.#closed = true;
      void writer.#worker.terminate();
      void writer.#encoder.terminate();
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
      this.#queue.push(event);
      if (this.#queue.length >= MAX_QUEUE) this.flush();
      else this.#scheduled ??= setTimeout(() => this.flush(), FLUSH_MS);
      return;
    }
    this.flush();
    const id = this.#id();
    this.#track(id, event.type);
    const batch = emptyBatch();
    const failure = this.#encodeFailure(event, batch);
    // A failure settles after the caller's turn, as a failed commit would: whoever emitted
    // the event and then awaits committed() sees it.
    if (failure !== undefined) queueMicrotask(() => this.#settle(id, failure));
    else this.#post({ id, batch, ack: 'message' });
  }

  /** Encode `event` into `batch`; why it could not be, or undefined. */
  #encodeFailure(event: WardenEvent, batch: EncodedBatch, logged = Date.now()): string | undefined {
    try {
      encodeEvents([event], logged, batch);
      return undefined;
    } catch (error) {
      return `audit trail ${this.file}: ${event.type} not recorded: ${(error as Error)?.message ?? String(error)}`;
    }
  }

  /**
   * Resolves once every acknowledged event taken so far is committed; rejects when one of
   * them failed or was not acknowledged within the ack timeout. Already settled when none
   * is pending.
   */
  committed(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    return Promise.all([...this.#pending.values()].map((p) => p.promise)).then(() => {});
  }

  #track(id: number, type: string): void {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Failures reach onError and whoever awaits committed(); nobody else must see them.
    promise.catch(() => {});
    const timer = setTimeout(() => {
      this.#settle(
        id,
        `audit trail ${this.file}: no commit acknowledgement for ${type} within ${this.#ackTimeoutMs} ms`,
      );
    }, this.#ackTimeoutMs);
    timer.unref();
    this.#pending.set(id, { promise, resolve, reject, timer });
  }

  /** The worker acknowledged `id` (failure: its message), or it timed out. */
  #settle(id: number, failure: string | undefined): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (failure === undefined) return pending.resolve();
    const error = new AuditWriteError(
      failure,
      failure.includes('no commit acknowledgement') ? 'TIMEOUT' : 'WRITE',
    );
    this.#onError(error);
    pending.reject(error);
  }

  /** Send every queued record to the writer thread now (committed asynchronously). */
  flush(): void {
    if (this.#scheduled) clearTimeout(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#queue.length === 0 || this.#closed) return;
    const events = this.#queue;
    this.#queue = [];
    const batch = this.#encodeAll(events);
    if (batchSize(batch) === 0) return;
    this.#bytesPerEvent = Math.ceil(batch.length / batchSize(batch));
    this.#waitForRoom();
    this.#post({ id: 0, batch });
  }

  /**
   * The request records of one flush, encoded in one pass (one logged time, as one commit);
   * when one of them cannot be, each is encoded alone and only those that fail are dropped
   * (reported to onError).
   */
  #encodeAll(events: WardenEvent[]): EncodedBatch {
    // Sized like the last batch (a batch's buffer is transferred, so it is never reused).
    const start = () =>
      emptyBatch(Math.min(MAX_START_BYTES, Math.ceil(events.length * this.#bytesPerEvent * 1.25)));
    const now = Date.now();
    try {
      return encodeEvents(events, now, start());
    } catch {
      const batch = start();
      for (const event of events) {
        const failure = this.#encodeFailure(event, batch, now);
        if (failure !== undefined) this.#onError(new AuditWriteError(failure, 'WRITE'));
      }
      return batch;
    }
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
    this.#call({ id: this.#id() }, timeoutMs);
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
      void this.#encoder.terminate();
      // Everything posted before the close was processed in order: what is still pending
      // was acknowledged in messages this closed thread will not deliver.
      for (const [id, p] of this.#pending) {
        clearTimeout(p.timer);
        this.#pending.delete(id);
        p.reject(
          new AuditWriteError(`audit writer for ${this.file} closed before the acknowledgement`, 'CLOSED'),
        );
      }
    }
  }

  #id(): number {
    const id = this.#nextId;
    this.#nextId = id >= 0x3fffffff ? 1 : id + 1;
    return id;
  }

  #post(message: ToWriter): void {
    if (!('close' in message)) this.#posted = (this.#posted + 1) | 0;
    // The string index only serves encoding more into the batch: the threads never need it,
    // and a Map is the dearest thing to clone.
    const batch = 'batch' in message ? message.batch : undefined;
    if (!batch) return this.#encoder.postMessage(message);
    batch.index = undefined;
    packBatch(batch);
    this.#encoder.postMessage(message, transferList(batch));
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
