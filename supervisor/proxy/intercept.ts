// TLS termination for tunnels the proxy must read: the tunnel is answered with 200, the
// client's TLS is terminated with a leaf minted by the per-install CA, and the requests
// inside are parsed by an internal HTTP server and decided one by one. A tunnel whose
// first byte is not a TLS handshake is parsed as plain HTTP.

import http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import type { BlockInfo } from './block.ts';
import type { ConnectionOwner, ProxyServices } from './context.ts';
import { answerClientError } from './raw-socket.ts';

export type TunnelMode = 'inspect' | { deny: BlockInfo };

export interface TunnelTarget {
  host: string;
  port: number;
  /** The connection that opened the tunnel: its requests inside belong to the same owner. */
  owner: ConnectionOwner;
}

export interface TunnelContext extends TunnelTarget {
  scheme: 'https' | 'http';
  mode: TunnelMode;
}

export type InnerRequestHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  ctx: TunnelContext,
) => void;
export type InnerUpgradeHandler = (
  req: http.IncomingMessage,
  socket: net.Socket,
  head: Buffer,
  ctx: TunnelContext,
) => void;

const TLS_HANDSHAKE = 0x16;
/** How long a tunnel may stay silent before its first byte, and take for its handshake and headers. */
const DEFAULT_IDLE_MS = 30_000;

export class Interceptor {
  readonly server: http.Server;
  readonly #contexts = new WeakMap<object, TunnelContext>();
  readonly #deadlines = new WeakMap<object, NodeJS.Timeout>();
  readonly #svc: ProxyServices;
  readonly #idleMs: number;

  constructor(
    svc: ProxyServices,
    onRequest: InnerRequestHandler,
    onUpgrade: InnerUpgradeHandler,
    options: http.ServerOptions,
  ) {
    this.#svc = svc;
    this.#idleMs = svc.tunnelIdleMs ?? DEFAULT_IDLE_MS;
    this.server = http.createServer(options, (req, res) => {
      const ctx = this.#contexts.get(req.socket);
      if (!ctx) return res.destroy();
      this.#headersArrived(req.socket, res);
      onRequest(req, res, ctx);
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      const ctx = this.#contexts.get(socket);
      if (!ctx) return socket.destroy();
      clearTimeout(this.#deadlines.get(socket));
      onUpgrade(req, socket, head, ctx);
    });
    this.server.on('clientError', answerClientError);
  }

  /** Answer the CONNECT and read what the client sends inside the tunnel. */
  attach(socket: net.Socket, head: Buffer, target: TunnelTarget, mode: TunnelMode): void {
    if (socket.destroyed) return;
    socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
    const start = (first: Buffer) => this.readAnswered(socket, first, target, mode);
    if (head.length > 0) return start(head);
    // A client that opens a tunnel and never speaks (or half-closes) does not hold it open.
    const idle = setTimeout(() => socket.destroy(), this.#idleMs);
    const abandon = () => {
      clearTimeout(idle);
      socket.destroy();
    };
    socket.once('end', abandon);
    socket.once('close', () => clearTimeout(idle));
    socket.once('data', (first: Buffer) => {
      clearTimeout(idle);
      socket.off('end', abandon);
      start(first);
    });
  }

  /** Read a tunnel already answered with 200 whose client sent `first` (TLS or plain HTTP). */
  readAnswered(socket: net.Socket, first: Buffer, target: TunnelTarget, mode: TunnelMode): void {
    socket.pause();
    socket.unshift(first);
    if (first[0] === TLS_HANDSHAKE) void this.#terminateTls(socket, target, mode);
    else this.#serve(socket, { ...target, scheme: 'http', mode });
  }

  async #terminateTls(socket: net.Socket, target: TunnelTarget, mode: TunnelMode): Promise<void> {
    let secureContext: tls.SecureContext;
    try {
      secureContext = await this.#svc.ca.secureContextFor(target.host);
    } catch (error) {
      this.#svc.log.error('could not mint a certificate', {
        host: target.host,
        error: (error as Error).message,
      });
      socket.destroy();
      return;
    }
    if (socket.destroyed) return;
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
    secure.on('error', () => secure.destroy());
    this.#serve(secure, { ...target, scheme: 'https', mode });
    socket.resume();
  }

  #serve(socket: net.Socket, ctx: TunnelContext): void {
    this.#contexts.set(socket, ctx);
    // The internal server never listens, so Node does not enforce its headersTimeout: a
    // tunnel must finish its TLS handshake and send complete request headers in time.
    // (Once a request is parsed the deadline is lifted; a request may wait for a human.)
    this.#deadlines.set(
      socket,
      setTimeout(() => socket.destroy(), this.#idleMs),
    );
    // Whichever deadline is current when the tunnel closes (the first, or one set between
    // kept-alive requests) is cleared, so no timer outlives its socket.
    socket.once('close', () => clearTimeout(this.#deadlines.get(socket)));
    this.server.emit('connection', socket);
    socket.resume();
  }

  /** Headers of a request arrived on `socket`: lift its deadline until the response is done. */
  #headersArrived(socket: net.Socket, res: http.ServerResponse): void {
    clearTimeout(this.#deadlines.get(socket));
    res.once('finish', () => {
      if (socket.destroyed) return;
      // Between kept-alive requests the next headers get the same deadline.
      const next = setTimeout(() => socket.destroy(), this.#idleMs);
      this.#deadlines.set(socket, next);
    });
  }
}
