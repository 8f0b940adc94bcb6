// Kept-alive plain-HTTP connections of one sandbox, for the proxy's own client (raw-call.ts).
// The same guarantees as the agent pools of upstream.ts: a connection carries one
// sandbox's traffic only, is keyed by the vetted address it was connected to as well as
// host and port, is reused only when its last answer ended on a message boundary, and is
// dropped if it speaks while idle.

import net from 'node:net';
import { KEEP_ALIVE_HEADROOM_MS, keepAliveHint } from './keep-alive-hint.ts';
import { type CallConnections, RawCall } from './raw-call.ts';
import type { ResolvedAddress } from './resolver.ts';

/** TCP keep-alive probes on idle connections, as Node's agent sets them. */
const KEEP_ALIVE_PROBE_MS = 1000;

/** One upstream connection and the call it serves (null while it idles in the pool). */
export class Conn {
  call: RawCall | null = null;
  /** It served a request before: it may have been closed by the upstream while idle. */
  reused = false;

  constructor(
    readonly socket: net.Socket,
    readonly key: string,
    pool: PlainPool,
  ) {
    socket.on('data', (buf: Buffer) => {
      if (this.call) this.call.onData(buf);
      else socket.destroy();
    });
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
      pool.forget(this);
      this.call?.onError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    });
  }
}

export interface PlainRequest {
  host: string;
  port: number;
  address: ResolvedAddress;
  method: string;
  path: string;
  /** End-to-end headers with the body's framing, lower-case names. */
  headers: Record<string, string | string[]>;
}

export class PlainPool {
  readonly #free = new Map<string, Conn[]>();
  readonly #all = new Set<Conn>();
  readonly #maxFree: number;

  constructor(options: { maxFreeSockets?: number } = {}) {
    this.#maxFree = options.maxFreeSockets ?? 256;
  }

  /** Send a request; throws UnwritableRequest when its head holds what HTTP does not allow. */
  request(r: PlainRequest): RawCall {
    const key = `${r.host}:${r.port}|${r.address.address}`;
    const connections: CallConnections = {
      take: (fresh) => this.#take(key, r, fresh),
      release: (conn, rawHeaders) => this.#release(conn, rawHeaders),
    };
    return new RawCall(connections, r.method, r.path, r.headers);
  }

  /** Connections open now (idle and busy), for tests and figures. */
  get size(): number {
    return this.#all.size;
  }

  #take(key: string, r: PlainRequest, fresh: boolean): Conn {
    const free = fresh ? undefined : this.#free.get(key);
    while (free && free.length > 0) {
      const conn = free.pop() as Conn;
      if (conn.socket.destroyed || conn.socket.readableLength > 0) {
        conn.socket.destroy();
        continue;
      }
      conn.socket.ref();
      conn.socket.setTimeout(0);
      return conn;
    }
    const socket = net.connect({
      host: r.address.address,
      port: r.port,
      family: r.address.family,
      noDelay: true,
    });
    const conn = new Conn(socket, key, this);
    this.#all.add(conn);
    return conn;
  }

  #release(conn: Conn, rawHeaders: string[]): void {
    const hint = keepAliveHint(rawHeaders);
    const idleMs = hint === undefined ? 0 : hint * 1000 - KEEP_ALIVE_HEADROOM_MS;
    let free = this.#free.get(conn.key);
    // Too short a keep-alive to reuse safely, or enough idle already.
    if ((hint !== undefined && idleMs <= 0) || (free && free.length >= this.#maxFree)) {
      conn.socket.destroy();
      return;
    }
    conn.reused = true;
    // Reading may have paused for a slow client near the end of the body: an idle
    // connection reads, so that bytes it was not asked for are seen and it is dropped.
    conn.socket.resume();
    conn.socket.setKeepAlive(true, KEEP_ALIVE_PROBE_MS);
    conn.socket.setTimeout(idleMs);
    conn.socket.unref();
    if (!free) {
      free = [];
      this.#free.set(conn.key, free);
    }
    free.push(conn);
  }

  forget(conn: Conn): void {
    this.#all.delete(conn);
    const free = this.#free.get(conn.key);
    if (!free) return;
    const i = free.indexOf(conn);
    if (i !== -1) free.splice(i, 1);
    if (free.length === 0) this.#free.delete(conn.key);
  }

  destroy(): void {
    for (const conn of this.#all) conn.socket.destroy();
    this.#all.clear();
    this.#free.clear();
  }
}
