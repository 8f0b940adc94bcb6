// Kept-alive upstream connections of one sandbox for the proxy's own HTTP/1.1 client
// (raw-call.ts): plain TCP, or TLS verified against the trust of upstream.ts (the system
// roots plus any extra CA; an upstream the policy names keeps Node's client). The same
// guarantees as the agent pools there: a connection carries one sandbox's traffic only, is
// keyed by the vetted address it was connected to as well as scheme, host and port, is
// reused only when its last answer ended on a message boundary, and is dropped if it
// speaks while idle. TLS sessions are kept per key for resumption, as Node's agent does.

import net from 'node:net';
import tls from 'node:tls';
import { KEEP_ALIVE_HEADROOM_MS, keepAliveHint } from './keep-alive-hint.ts';
import { type CallConnections, RawCall } from './raw-call.ts';
import { type BufferShelf, Conn, READ_BYTES, ReadLeases } from './raw-conn.ts';
import type { ResolvedAddress } from './resolver.ts';

/** TLS sessions kept for resumption (Node's agent keeps 100). */
const MAX_SESSIONS = 100;

/** Spare read buffers a pool keeps for its plain connections. */
const MAX_SPARE_BUFFERS = 16;

/** TCP keep-alive probes on idle connections, as Node's agent sets them. */
const KEEP_ALIVE_PROBE_MS = 1000;

export interface RawRequest {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  address: ResolvedAddress;
  method: string;
  path: string;
  /** End-to-end headers with the body's framing, lower-case names. */
  headers: Record<string, string | string[]>;
}

export class RawPool {
  readonly #free = new Map<string, Conn[]>();
  readonly #all = new Set<Conn>();
  readonly #maxFree: number;
  readonly #secureContext: tls.SecureContext | undefined;
  /** The last TLS session of each key, offered when it connects again. */
  readonly #sessions = new Map<string, Buffer>();
  readonly #spare: Buffer[] = [];
  readonly #shelf: BufferShelf = {
    take: () => this.#spare.pop() ?? Buffer.allocUnsafeSlow(READ_BYTES),
    give: (buf) => {
      if (this.#spare.length < MAX_SPARE_BUFFERS) this.#spare.push(buf);
    },
  };
  readonly #forget = (conn: Conn) => this.forget(conn);

  constructor(options: { maxFreeSockets?: number; secureContext?: tls.SecureContext } = {}) {
    this.#maxFree = options.maxFreeSockets ?? 256;
    this.#secureContext = options.secureContext;
  }

  /** Send a request; throws UnwritableRequest when its head holds what HTTP does not allow. */
  request(r: RawRequest): RawCall {
    const key = `${r.scheme}://${r.host}:${r.port}|${r.address.address}`;
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

  #take(key: string, r: RawRequest, fresh: boolean): Conn {
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
    const conn = r.scheme === 'https' ? this.#connectTls(key, r) : this.#connectTcp(key, r);
    this.#all.add(conn);
    return conn;
  }

  #connectTcp(key: string, r: RawRequest): Conn {
    let conn: Conn | undefined;
    const reads = new ReadLeases(this.#shelf);
    const socket = net.connect({
      host: r.address.address,
      port: r.port,
      family: r.address.family,
      noDelay: true,
      onread: {
        buffer: () => reads.next(),
        callback: (n: number, buf: Buffer) => (conn as Conn).onRead(n, buf),
      },
    });
    conn = new Conn(socket, key, this.#forget, reads);
    return conn;
  }

  #connectTls(key: string, r: RawRequest): Conn {
    if (!this.#secureContext) throw new Error('this pool has no TLS trust');
    const session = this.#sessions.get(key);
    const socket = tls.connect({
      host: r.address.address,
      port: r.port,
      servername: net.isIP(r.host) ? undefined : r.host,
      // The certificate must name the host asked for (an IP target: that address), not
      // merely the address connected to, as https.request checks it.
      checkServerIdentity: (_: string, cert) => tls.checkServerIdentity(r.host, cert),
      secureContext: this.#secureContext,
      ALPNProtocols: ['http/1.1'],
      ...(session ? { session } : {}),
    });
    // tls.connect ignores `noDelay` (see upstream.ts sendAtOnce): set it on the socket.
    socket.setNoDelay(true);
    socket.on('session', (s: Buffer) => {
      this.#sessions.delete(key);
      this.#sessions.set(key, s);
      if (this.#sessions.size > MAX_SESSIONS)
        this.#sessions.delete(this.#sessions.keys().next().value as string);
    });
    return new Conn(socket, key, this.#forget);
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
    conn.idle();
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
    this.#sessions.clear();
    this.#spare.length = 0;
  }
}
