// Connections from the proxy to upstream servers, connected to the address the policy
// vetted, with TLS verified against the system roots plus any extra CA the user configured,
// or, for an upstream the policy names (a cluster's API server), against its CA alone.
// Kept-alive pools belong to one sandbox each (a connection that carried one sandbox's
// traffic never carries another's), are keyed by the vetted address, and never hand out
// a socket that received bytes while it sat idle.

import { createHash } from 'node:crypto';
import type dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { KEEP_ALIVE_HEADROOM_MS, keepAliveHint } from './keep-alive-hint.ts';
import { RawPool, type RawRequest } from './raw-pool.ts';
import type { ResolvedAddress } from './resolver.ts';
import { connectRelayed, type RelayedUpstream } from './tunnel-relay.ts';

/** A request for Node's client: what the own client takes (raw-pool.ts), with Node's header shapes. */
export interface UpstreamRequest extends Omit<RawRequest, 'headers'> {
  headers: http.OutgoingHttpHeaders | string[];
  /** The policy names this upstream: only its CA is trusted, and its client certificate is presented. */
  tls?: UpstreamTlsOptions;
}

/** TLS for one named upstream (policy `spec.network.upstreams`). */
export interface UpstreamTlsOptions {
  ca: string;
  clientCertificate?: { cert: string; key: string };
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/** A lookup function that answers with the already-vetted address only. */
export function pinnedLookup(address: ResolvedAddress) {
  return (_host: string, options: dns.LookupOptions | LookupCallback, callback?: LookupCallback) => {
    const cb = (typeof options === 'function' ? options : callback)!;
    const all = typeof options === 'object' && options.all;
    if (all) cb(null, [{ address: address.address, family: address.family }]);
    else cb(null, address.address, address.family);
  };
}

/** What upstream TLS trusts: built once per daemon (a secure context with every root is costly). */
export class UpstreamTrust {
  readonly ca: string[];
  readonly secureContext: tls.SecureContext;

  /** `extraCa`: PEM certificates trusted in addition to the system roots. */
  constructor(extraCa: string[] = []) {
    this.ca = [...tls.rootCertificates, ...extraCa];
    this.secureContext = tls.createSecureContext({ ca: this.ca });
  }
}

/** The request option that keys a pooled socket by the address it was connected to. */
interface PinnedOptions {
  vetted?: string;
}

/** A socket that speaks while idle is out of step with its requests: it is dropped. */
function dropSpeakingIdle(this: Duplex): void {
  this.destroy();
}

/**
 * Pools whose sockets are keyed by vetted address as well as host and port, and are kept
 * only when they ended on a message boundary with nothing unread.
 */
function guardPool<A extends http.Agent>(agent: A): A {
  const name = agent.getName.bind(agent);
  const reuse = agent.reuseSocket.bind(agent);
  const { options, keepAliveMsecs } = agent as unknown as {
    options: { timeout?: number };
    keepAliveMsecs: number;
  };
  const timeout = options.timeout ?? 0;
  agent.getName = (options) => `${name(options)}|${(options as PinnedOptions).vetted ?? ''}`;
  // Node returns whether it kept the socket (its typings say void).
  (agent as unknown as { keepSocketAlive: (socket: net.Socket) => boolean }).keepSocketAlive = (socket) => {
    if (socket.readableLength > 0 || !keepIdle(socket, keepAliveMsecs, timeout)) return false;
    socket.on('data', dropSpeakingIdle);
    return true;
  };
  agent.reuseSocket = (socket, req) => {
    socket.off('data', dropSpeakingIdle);
    reuse(socket, req);
  };
  return agent;
}

/**
 * What Node's `Agent.keepSocketAlive` does (TCP keep-alive, unref, the idle timeout, the
 * upstream's `Keep-Alive: timeout=N` hint less a second), reading the hint from the
 * response's raw header pairs: Node asks its `headers` object, which builds the whole
 * object on every kept socket (issue 17: a few µs of every forwarded request).
 */
export function keepIdle(socket: net.Socket, keepAliveMsecs: number, agentTimeout: number): boolean {
  socket.setKeepAlive(true, keepAliveMsecs);
  socket.unref();
  let timeout = agentTimeout;
  const res = (socket as unknown as { _httpMessage?: { res?: { rawHeaders: string[] } } })._httpMessage?.res;
  const hint = res ? keepAliveHint(res.rawHeaders) : undefined;
  if (hint !== undefined) {
    const ms = hint * 1000 - KEEP_ALIVE_HEADROOM_MS;
    // Too short to reuse safely.
    if (ms <= 0) return false;
    if (ms < timeout) timeout = ms;
  }
  if (socket.timeout !== timeout) socket.setTimeout(timeout);
  return true;
}

/**
 * Every upstream socket sends what it is given at once (TCP_NODELAY). Node's http client
 * sets it on plain sockets, but `tls.connect` ignores the `noDelay` option (Node 20), so a
 * TLS upstream ran with Nagle's algorithm: the last piece of a request body (a TLS record
 * shorter than the segment size) waited for the ACK of the pieces before it, which the
 * upstream's kernel delays by up to 40 ms: a ~45 ms stall on every POST of 60 KB or more
 * through TLS interception (issue 17).
 */
function sendAtOnce<A extends http.Agent>(agent: A): A {
  // Node's typings omit Agent.createConnection.
  const a = agent as unknown as { createConnection: (o: object, cb?: unknown) => Duplex };
  const connect = a.createConnection.bind(agent);
  a.createConnection = (options, callback) => {
    const socket = connect(options, callback) as net.Socket;
    socket.setNoDelay(true);
    return socket;
  };
  return agent;
}

/** How many named upstreams' pools one sandbox keeps (the oldest is closed beyond it). */
const MAX_NAMED_POOLS = 32;

/** One sandbox's upstream connections. */
export class UpstreamPool {
  readonly http: http.Agent;
  readonly https: https.Agent;
  /** HTTP/1.1 through the proxy's own client (the forward and interception hot path, issue 17). */
  readonly raw: RawPool;
  /** Pools of the upstreams the policy names, by a digest of their CA and client certificate. */
  readonly #named = new Map<string, https.Agent>();
  readonly #common: { keepAlive: true; maxFreeSockets: number; scheduling: 'lifo' };

  constructor(trust: UpstreamTrust, options: { maxFreeSockets?: number } = {}) {
    this.#common = {
      keepAlive: true,
      maxFreeSockets: options.maxFreeSockets ?? 256,
      scheduling: 'lifo' as const,
    };
    this.raw = new RawPool({
      maxFreeSockets: this.#common.maxFreeSockets,
      secureContext: trust.secureContext,
    });
    this.http = guardPool(sendAtOnce(new http.Agent(this.#common)));
    this.https = guardPool(
      sendAtOnce(new https.Agent({ ...this.#common, secureContext: trust.secureContext })),
    );
  }

  /**
   * The pool of a named upstream: a secure context trusting its CA alone and holding its
   * client certificate (an agent's options win over a request's, so each gets its own agent).
   * Throws when the CA or the certificate cannot be loaded.
   */
  #namedPool(t: UpstreamTlsOptions): https.Agent {
    const id = createHash('sha256')
      .update(t.ca)
      .update('\0')
      .update(t.clientCertificate?.cert ?? '')
      .update('\0')
      .update(t.clientCertificate?.key ?? '')
      .digest('hex');
    let agent = this.#named.get(id);
    if (agent) return agent;
    const secureContext = tls.createSecureContext({
      ca: t.ca,
      ...(t.clientCertificate ? { cert: t.clientCertificate.cert, key: t.clientCertificate.key } : {}),
    });
    agent = guardPool(sendAtOnce(new https.Agent({ ...this.#common, secureContext })));
    if (this.#named.size >= MAX_NAMED_POOLS) {
      const [oldest, old] = this.#named.entries().next().value as [string, https.Agent];
      old.destroy();
      this.#named.delete(oldest);
    }
    this.#named.set(id, agent);
    return agent;
  }

  request(r: UpstreamRequest): http.ClientRequest {
    const base = {
      host: r.host,
      port: r.port,
      method: r.method,
      path: r.path,
      headers: r.headers as http.OutgoingHttpHeaders,
      lookup: pinnedLookup(r.address) as unknown as typeof dns.lookup,
      setHost: false,
      vetted: r.address.address,
    };
    if (r.scheme === 'http') return http.request({ ...base, agent: this.http });
    return https.request({
      ...base,
      agent: r.tls ? this.#namedPool(r.tls) : this.https,
      servername: net.isIP(r.host) ? undefined : r.host,
    });
  }

  /** A raw TCP connection to a vetted address whose reads go to a client (CONNECT tunnels). */
  connectRelayed(address: ResolvedAddress, port: number): RelayedUpstream {
    return connectRelayed(address, port);
  }

  destroy(): void {
    this.raw.destroy();
    this.http.destroy();
    this.https.destroy();
    for (const agent of this.#named.values()) agent.destroy();
    this.#named.clear();
  }
}
