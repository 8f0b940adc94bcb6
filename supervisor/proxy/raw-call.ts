// One plain-HTTP request on a pooled upstream connection of the proxy's own client
// (raw-pool.ts), in place of Node's ClientRequest on the forward path: the head is
// written once from the decided headers, the body framed as decided (Content-Length
// counted, chunked re-framed), and the answer read with the strict parser of
// response-head.ts and chunked-decoder.ts. It keeps the few parts of ClientRequest's
// surface the exchange uses (write, end, destroy, writableEnded; 'response', 'drain',
// 'upgrade', 'error'), so the exchange's upload and relay code serve both clients.
// Issue 17: ClientRequest, the agent, the response's IncomingMessage and pipe() were
// ~70 µs of main-thread time per forwarded request.

import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { ChunkedDecoder } from './chunked-decoder.ts';
import type { Conn } from './raw-conn.ts';
import { type Framing, MalformedAnswer, parseResponseHead } from './response-head.ts';

/** The upstream answered: its head, then 'data' and 'end' (or 'error') for its body. */
export class RawAnswer extends EventEmitter {
  constructor(
    readonly statusCode: number,
    readonly statusMessage: string,
    readonly rawHeaders: string[],
    private readonly call: RawCall,
  ) {
    super();
  }

  /**
   * Relay the body to `res`, reading no faster than it drains, and end it with the body.
   * A chunk from a leased read buffer (raw-conn.ts) is lent until `res` has written it.
   */
  pipe(res: http.ServerResponse): http.ServerResponse {
    this.on('data', (chunk: Buffer) => {
      if (!res.write(chunk, this.call.lend())) this.call.pauseReading();
    });
    res.on('drain', () => this.call.resumeReading());
    this.once('end', () => res.end());
    return res;
  }
}

/** A request head could not be written: a name or value HTTP does not allow. */
export class UnwritableRequest extends Error {}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const BAD_PATH = /[^\u0021-\u00ff]/;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The request head, as Node's client checks it (the same characters refused). */
export function requestHead(
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
): string {
  if (!TOKEN.test(method)) throw new UnwritableRequest('the method is not a token');
  if (BAD_PATH.test(path)) throw new UnwritableRequest('the path holds a character HTTP does not allow');
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const name in headers) {
    if (!TOKEN.test(name))
      throw new UnwritableRequest(`the header name "${name.slice(0, 40)}" is not a token`);
    const value = headers[name] as string | string[];
    for (const v of typeof value === 'string' ? [value] : value) {
      if (BAD_VALUE.test(v))
        throw new UnwritableRequest(`the ${name} header holds a character HTTP does not allow`);
      head += `${name}: ${v}\r\n`;
    }
  }
  return `${head}\r\n`;
}

/** A connection the call runs on, and where it gets another after a stale one. */
export interface CallConnections {
  take(fresh: boolean): Conn;
  /** The answer's header pairs carry the upstream's keep-alive hint. */
  release(conn: Conn, rawHeaders: string[]): void;
}

export class RawCall extends EventEmitter {
  #conn: Conn | null = null;
  readonly #head: string;
  readonly #method: string;
  readonly #chunked: boolean;
  /** No body: a stale kept connection may be replaced and the request sent again. */
  readonly #retriable: boolean;
  #retried = false;
  #ended = false;
  /** The answer ended or failed, or the call was destroyed: the connection is no longer its own. */
  #done = false;
  #sawBytes = false;
  #pending: Buffer | null = null;
  #answer: RawAnswer | null = null;
  #framing: Framing = { kind: 'none' };
  #left = 0;
  #decoder: ChunkedDecoder | null = null;
  #keepAlive = false;
  #rawHeaders: string[] = [];

  constructor(
    private readonly connections: CallConnections,
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
  ) {
    super();
    this.#head = requestHead(method, path, headers);
    this.#method = method;
    this.#chunked = headers['transfer-encoding'] !== undefined;
    this.#retriable = IDEMPOTENT.has(method) && !this.#chunked && headers['content-length'] === undefined;
    this.#start(false);
  }

  get writableEnded(): boolean {
    return this.#ended;
  }

  #start(fresh: boolean): void {
    const conn = this.connections.take(fresh);
    conn.call = this;
    this.#conn = conn;
    conn.socket.write(this.#head, 'latin1');
    if (this.#ended && this.#chunked) conn.socket.write('0\r\n\r\n', 'latin1');
  }

  write(chunk: Buffer): boolean {
    const socket = this.#conn?.socket;
    if (!socket || this.#ended || chunk.length === 0) return true;
    if (!this.#chunked) return socket.write(chunk);
    socket.cork();
    socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    socket.write(chunk);
    const ok = socket.write('\r\n', 'latin1');
    socket.uncork();
    return ok;
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#chunked) this.#conn?.socket.write('0\r\n\r\n', 'latin1');
  }

  /** Stop: the connection is closed, never reused, and nothing more is emitted. */
  destroy(): void {
    if (this.#done) return;
    this.#done = true;
    const conn = this.#conn;
    this.#conn = null;
    if (conn) {
      conn.call = null;
      conn.socket.destroy();
    }
  }

  /** Lend the current read's buffer; the function returned gives it back (raw-conn.ts). */
  lend(): () => void {
    return this.#conn?.lend() ?? (() => {});
  }

  pauseReading(): void {
    this.#conn?.socket.pause();
  }

  resumeReading(): void {
    this.#conn?.socket.resume();
  }

  /** Bytes from the upstream (the connection's 'data'). */
  onData(buf: Buffer): void {
    if (this.#done) return;
    this.#sawBytes = true;
    try {
      let at = 0;
      if (!this.#answer) {
        const bytes = this.#pending ? Buffer.concat([this.#pending, buf]) : buf;
        this.#pending = null;
        at = this.#readHeads(bytes);
        if (at === -1) return;
        buf = bytes;
      }
      this.#body(buf, at);
    } catch (error) {
      if (!(error instanceof MalformedAnswer)) throw error;
      this.#fail(new Error(`its answer is malformed: ${error.message}; it was not relayed`));
    }
  }

  /** Read heads until a final one: where its body starts, or -1 (more bytes needed, or it ended). */
  #readHeads(bytes: Buffer): number {
    let at = 0;
    for (;;) {
      const head = parseResponseHead(bytes, at, bytes.length, this.#method);
      if (!head) {
        // Kept past this read: copied out of a leased buffer.
        this.#pending = Buffer.from(bytes.subarray(at));
        return -1;
      }
      at += head.length;
      if (head.status === 101) {
        const conn = this.#conn;
        this.#done = true;
        this.#conn = null;
        if (conn) conn.call = null;
        conn?.socket.destroy();
        this.emit('upgrade', head, conn?.socket);
        return -1;
      }
      // An interim answer (100 Continue, 103 Early Hints) is not relayed; the final one follows.
      if (head.status < 200) continue;
      this.#framing = head.framing;
      this.#keepAlive = head.keepAlive;
      this.#rawHeaders = head.rawHeaders;
      if (head.framing.kind === 'length') this.#left = head.framing.length;
      if (head.framing.kind === 'chunked') this.#decoder = new ChunkedDecoder();
      this.#answer = new RawAnswer(head.status, head.statusMessage, head.rawHeaders, this);
      this.emit('response', this.#answer);
      return at;
    }
  }

  #body(buf: Buffer, at: number): void {
    // The exchange may have stopped the call on seeing the head.
    if (this.#done) return;
    const answer = this.#answer as RawAnswer;
    const end = buf.length;
    switch (this.#framing.kind) {
      case 'none':
        return this.#complete(at < end);
      case 'close':
        if (at < end) answer.emit('data', at === 0 ? buf : buf.subarray(at));
        return;
      case 'length': {
        const n = Math.min(this.#left, end - at);
        if (n > 0) answer.emit('data', at === 0 && n === end ? buf : buf.subarray(at, at + n));
        this.#left -= n;
        if (this.#left === 0 && !this.#done) this.#complete(at + n < end);
        return;
      }
      case 'chunked': {
        const decoder = this.#decoder as ChunkedDecoder;
        const stop = decoder.push(buf, at, end, (chunk) => {
          if (!this.#done) answer.emit('data', chunk);
        });
        if (decoder.done && !this.#done) this.#complete(stop < end);
      }
    }
  }

  /** The answer's body ended: the connection goes back to the pool if it is in step. */
  #complete(extra: boolean): void {
    const conn = this.#conn;
    const answer = this.#answer as RawAnswer;
    this.#done = true;
    this.#conn = null;
    if (conn) conn.call = null;
    answer.emit('end');
    if (!conn) return;
    // Bytes after the body, a request not sent in full, or a close asked for: not reused.
    if (extra || !this.#keepAlive || !this.#ended || conn.socket.destroyed) conn.socket.destroy();
    else this.connections.release(conn, this.#rawHeaders);
  }

  /** The upstream ended its side (the connection's 'end'). */
  onEnd(): void {
    if (this.#done) return;
    if (this.#answer && this.#framing.kind === 'close') return this.#complete(false);
    this.#lost(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  }

  /** The connection failed or closed under the call. */
  onError(error: Error): void {
    if (!this.#done) this.#lost(error);
  }

  #lost(error: Error): void {
    const conn = this.#conn;
    // A kept connection the upstream had already closed: send the request again, once.
    if (conn?.reused && !this.#sawBytes && this.#retriable && !this.#retried) {
      this.#retried = true;
      conn.call = null;
      conn.socket.destroy();
      return this.#start(true);
    }
    this.#fail(error);
  }

  #fail(error: Error): void {
    const conn = this.#conn;
    const answer = this.#answer;
    this.#done = true;
    this.#conn = null;
    if (conn) {
      conn.call = null;
      conn.socket.destroy();
    }
    const to: EventEmitter = answer ?? this;
    if (to.listenerCount('error') > 0) to.emit('error', error);
  }
}
