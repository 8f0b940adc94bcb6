// One upstream connection of the proxy's own client (raw-pool.ts) and the call it serves.
// A plain TCP connection reads into buffers of its own (ReadLeases) instead of a fresh
// 64 KiB buffer per read: Node's default read path allocates one per read, and in the
// daemon's heap those allocations drive the collector (external-memory pressure, issue 17).
// A read handed to a writer that keeps it (the client's response) is lent: the next read
// goes to another buffer until the writer gives it back, so no buffer is overwritten under
// a write.

import type net from 'node:net';

/** The request a connection serves (raw-call.ts RawCall). */
export interface ConnUser {
  onData(buf: Buffer): void;
  onEnd(): void;
  onError(error: Error): void;
  emit(event: 'drain'): boolean;
}

/** Bytes per read, Node's own read size. */
export const READ_BYTES = 64 * 1024;

/** Buffers one connection keeps; more lent at once are taken from the shelf and returned. */
const KEPT_PER_CONNECTION = 3;

/** Spare read buffers, shared by the connections of one pool. */
export interface BufferShelf {
  take(): Buffer;
  give(buf: Buffer): void;
}

interface Lease {
  buf: Buffer;
  lent: number;
  kept: boolean;
}

const NOTHING_LENT = () => {};

/** The read buffers of one connection (Node's `onread.buffer` asks `next` after each read). */
export class ReadLeases {
  readonly #kept: Lease[] = [];
  /** Where the read being delivered landed. */
  #current: Lease | null = null;
  #closed = false;

  constructor(private readonly shelf: BufferShelf) {}

  /** The buffer the next read lands in: one that nobody holds. */
  next(): Buffer {
    let lease = this.#kept.find((l) => l.lent === 0);
    if (!lease) {
      lease = { buf: this.shelf.take(), lent: 0, kept: this.#kept.length < KEPT_PER_CONNECTION };
      if (lease.kept) this.#kept.push(lease);
    }
    this.#current = lease;
    return lease.buf;
  }

  /** Lend the buffer of the read being delivered; the function returned gives it back. */
  lend(): () => void {
    const lease = this.#current;
    if (!lease) return NOTHING_LENT;
    lease.lent++;
    let back = false;
    return () => {
      if (back) return;
      back = true;
      lease.lent--;
      if (lease.lent === 0 && (!lease.kept || this.#closed)) this.shelf.give(lease.buf);
    };
  }

  /** Idle in the pool: keep only the buffer the next read lands in. */
  idle(): void {
    for (let i = this.#kept.length - 1; i >= 0; i--) {
      const lease = this.#kept[i] as Lease;
      if (lease === this.#current || lease.lent > 0) continue;
      this.#kept.splice(i, 1);
      this.shelf.give(lease.buf);
    }
  }

  close(): void {
    this.#closed = true;
    for (const lease of this.#kept) if (lease.lent === 0) this.shelf.give(lease.buf);
    this.#kept.length = 0;
    this.#current = null;
  }
}

export class Conn {
  call: ConnUser | null = null;
  /** It served a request before: it may have been closed by the upstream while idle. */
  reused = false;

  /**
   * `socket`: connected with `onread` (its buffers from `reads`, its callback `onRead`)
   * when `reads` is given, else read through 'data' events (TLS).
   */
  constructor(
    readonly socket: net.Socket,
    readonly key: string,
    forget: (conn: Conn) => void,
    readonly reads?: ReadLeases,
  ) {
    if (!reads) {
      socket.on('data', (buf: Buffer) => {
        if (this.call) this.call.onData(buf);
        else socket.destroy();
      });
    }
    socket.on('end', () => {
      if (this.call) this.call.onEnd();
      else socket.destroy();
    });
    socket.on('error', (error) => this.call?.onError(error));
    socket.on('drain', () => this.call?.emit('drain'));
    socket.on('timeout', () => {
      if (!this.call) socket.destroy();
    });
    socket.on('close', () => {
      forget(this);
      reads?.close();
      this.call?.onError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    });
  }

  /** onread's callback. */
  onRead(n: number, buf: Buffer): boolean {
    if (!this.call) {
      this.socket.destroy();
      return false;
    }
    this.call.onData(buf.subarray(0, n));
    return true;
  }

  /** Lend the buffer of the read being delivered (a no-op for 'data' reads, which are fresh). */
  lend(): () => void {
    return this.reads ? this.reads.lend() : NOTHING_LENT;
  }

  /** It idles in the pool. */
  idle(): void {
    this.reads?.idle();
    // Reading may have paused for a slow client near the end of the body: an idle
    // connection reads, so that bytes it was not asked for are seen and it is dropped.
    this.socket.resume();
  }
}
