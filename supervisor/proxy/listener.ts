// One governed proxy listener per sandbox: HTTP/1.1 forward proxying, CONNECT tunnels
// and upgrades, on a loopback port. The listener gives every connection its identity,
// fixed when the connection is accepted, and its own upstream connections; every request
// it reads must carry that identity's credential (client-auth.ts).

import http from 'node:http';
import type net from 'node:net';
import type { Via } from './arrival.ts';
import { refuseUnauthenticated, unparsedFacts } from './client-auth.ts';
import type { ConnectionOwner, OpenExchange, ProxyServices, SandboxContext } from './context.ts';
import { handleExchange, sendBlock } from './exchange.ts';
import { Interceptor, type TunnelContext } from './intercept.ts';
import { answerClientError, writeRawBlock } from './raw-socket.ts';
import { endOpenRecords } from './record.ts';
import { factsOf, parseAbsoluteUrl, parseAuthority, splitPath, type Target, TargetError } from './target.ts';
import { handleConnect } from './tunnel.ts';
import { requestOffer, type UpgradeOffer } from './upgrade-offer.ts';
import { UpstreamPool } from './upstream.ts';
import { handleUpgrade } from './websocket.ts';

const SERVER_OPTIONS: http.ServerOptions = {
  // Slow or huge headers are refused by the parser (431 / timeout); bodies may be long uploads.
  headersTimeout: 30_000,
  requestTimeout: 0,
  keepAliveTimeout: 30_000,
  maxHeaderSize: 32 * 1024,
};

/** The end reason of exchanges still open when their listener closes. */
const CLOSED =
  'the proxy listener closed while the exchange was open (the sandbox was removed or the Warden daemon stopped)';

export class ProxyListener {
  #owner: ConnectionOwner;
  /** Every owner this listener has had; their pools close with it. */
  readonly #owners: ConnectionOwner[] = [];
  readonly #ownerOf = new WeakMap<net.Socket, ConnectionOwner>();
  readonly #svc: ProxyServices;
  readonly #server: http.Server;
  readonly #interceptor: Interceptor;
  readonly #sockets = new Set<net.Socket>();

  constructor(sandbox: SandboxContext, svc: ProxyServices) {
    this.#svc = svc;
    this.#owner = this.#ownerFor(sandbox);
    this.#interceptor = new Interceptor(
      svc,
      (req, res, ctx) => this.#inner(req, res, ctx),
      (req, socket, head, ctx) => this.#innerUpgrade(req, socket, head, ctx),
      SERVER_OPTIONS,
    );
    this.#server = http.createServer(SERVER_OPTIONS, (req, res) => this.#forward(req, res));
    this.#server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      const owner = this.#of(socket);
      const refused = refuseUnauthenticated(svc, owner, req, connectFacts(req));
      if (refused) return writeRawBlock(socket, refused);
      this.#guard(handleConnect(svc, owner, this.#interceptor, req, socket, head), owner, socket);
    });
    this.#server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      const owner = this.#of(socket);
      let target: Target;
      let offer: UpgradeOffer;
      try {
        offer = requestOffer(req);
        target = parseAbsoluteUrl(req.url ?? '', offer.websocket);
      } catch (error) {
        const refused = refuseUnauthenticated(svc, owner, req, unparsedFacts(req.method, 'http'));
        return writeRawBlock(socket, refused ?? badRequest(owner, error));
      }
      const refused = refuseUnauthenticated(svc, owner, req, factsOf(target, req.method ?? 'GET'));
      if (refused) return writeRawBlock(socket, refused);
      this.#guard(
        handleUpgrade(svc, { owner, req, target, via: 'forward' }, socket, head, offer),
        owner,
        socket,
      );
    });
    this.#server.on('clientError', answerClientError);
    this.#server.on('connection', (socket: net.Socket) => {
      this.#sockets.add(socket);
      this.#ownerOf.set(socket, this.#owner);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** The sandbox new connections are attributed to. */
  get sandbox(): SandboxContext {
    return this.#owner.sandbox;
  }

  /**
   * Attributes new connections to `sandbox` (a warm-pool listener handed over to a real
   * sandbox), with upstream connections of its own. Connections already open keep the
   * owner they were accepted with; requests on new ones must carry the new sandbox's
   * credential, so a client of the idle context cannot act as the sandbox.
   */
  bind(sandbox: SandboxContext): void {
    this.#owner = this.#ownerFor(sandbox);
  }

  #ownerFor(sandbox: SandboxContext): ConnectionOwner {
    const owner = {
      sandbox,
      upstream: new UpstreamPool(this.#svc.upstream),
      records: new Set<OpenExchange>(),
      authenticated: new WeakMap<object, string>(),
    };
    this.#owners.push(owner);
    return owner;
  }

  /** The owner a client connection was accepted with. */
  #of(socket: net.Socket): ConnectionOwner {
    return this.#ownerOf.get(socket) ?? this.#owner;
  }

  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ port, host, backlog: 2048 }, () => {
        this.#server.off('error', reject);
        resolve(this.port);
      });
    });
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  get openConnections(): number {
    return this.#sockets.size;
  }

  /** Stop listening, close every connection and tunnel, and record the end of each open exchange. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
      // Synchronously, so the ends are on the bus before whoever closes us closes the audit writer.
      for (const owner of this.#owners) endOpenRecords(owner.records, CLOSED);
    });
    for (const owner of this.#owners) owner.upstream.destroy();
  }

  #forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const owner = this.#of(req.socket);
    let target: Target;
    try {
      target = parseAbsoluteUrl(req.url ?? '', false);
    } catch (error) {
      const refused = refuseUnauthenticated(this.#svc, owner, req, unparsedFacts(req.method, 'http'));
      return sendBlock(res, refused ?? badRequest(owner, error));
    }
    const refused = refuseUnauthenticated(this.#svc, owner, req, factsOf(target, req.method ?? 'GET'));
    if (refused) return sendBlock(res, refused);
    this.#guard(handleExchange(this.#svc, { owner, req, target, via: 'forward' }, res), owner, res);
  }

  /** A request inside a tunnel: ws/wss only for a WebSocket handshake, as its URL never says. */
  #innerTarget(req: http.IncomingMessage, ctx: TunnelContext, websocket: boolean): Target {
    const scheme = ctx.scheme === 'https' ? (websocket ? 'wss' : 'https') : websocket ? 'ws' : 'http';
    return { scheme, host: ctx.host, port: ctx.port, ...splitPath(req.url ?? '') };
  }

  #inner(req: http.IncomingMessage, res: http.ServerResponse, ctx: TunnelContext): void {
    if (ctx.mode !== 'inspect') return sendBlock(res, ctx.mode.deny);
    let target: Target;
    try {
      target = this.#innerTarget(req, ctx, false);
    } catch (error) {
      return sendBlock(res, badRequest(ctx.owner, error));
    }
    this.#guard(
      handleExchange(this.#svc, { owner: ctx.owner, req, target, via: viaOf(ctx) }, res),
      ctx.owner,
      res,
    );
  }

  #innerUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer, ctx: TunnelContext): void {
    if (ctx.mode !== 'inspect') return writeRawBlock(socket, ctx.mode.deny);
    let target: Target;
    let offer: UpgradeOffer;
    try {
      offer = requestOffer(req);
      target = this.#innerTarget(req, ctx, offer.websocket);
    } catch (error) {
      return writeRawBlock(socket, badRequest(ctx.owner, error));
    }
    this.#guard(
      handleUpgrade(this.#svc, { owner: ctx.owner, req, target, via: viaOf(ctx) }, socket, head, offer),
      ctx.owner,
      socket,
    );
  }

  /** A failure inside the decision path must never take the daemon down. */
  #guard(work: Promise<void>, owner: ConnectionOwner, stream: { destroy(): void }): void {
    work.catch((error: unknown) => {
      this.#svc.log.error('proxy exchange failed', {
        sandbox: owner.sandbox.identity.sandboxId,
        error: error instanceof Error ? error.message : String(error),
      });
      stream.destroy();
    });
  }
}

/** The facts of a CONNECT for the audit record of its refusal, as far as they can be read. */
function connectFacts(req: http.IncomingMessage) {
  try {
    const { host, port } = parseAuthority(req.url ?? '');
    return { scheme: 'https' as const, host, port, method: 'CONNECT', path: '' };
  } catch {
    return unparsedFacts('CONNECT', 'https');
  }
}

function badRequest(owner: ConnectionOwner, error: unknown) {
  const reason = error instanceof TargetError ? error.message : 'malformed request';
  return { status: 400 as const, verdict: 'error', reason, identity: owner.sandbox.identity };
}

/** A request inside a tunnel came over the proxy's own TLS, or as plain HTTP. */
function viaOf(ctx: TunnelContext): Via {
  return ctx.scheme === 'https' ? 'tunnel-tls' : 'tunnel-http';
}
