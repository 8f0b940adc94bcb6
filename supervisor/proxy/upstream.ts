// Connections from the proxy to upstream servers: kept-alive pools, connected to the
// address the policy vetted, with TLS verified against the system roots plus any extra
// CA the user configured.

import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { ResolvedAddress } from './resolver.ts';

export interface UpstreamOptions {
  /** PEM certificates trusted in addition to the system roots. */
  extraCa?: string[];
  maxFreeSockets?: number;
}

export interface UpstreamRequest {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  address: ResolvedAddress;
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders | string[];
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

import type dns from 'node:dns';

/** A lookup function that answers with the already-vetted address only. */
export function pinnedLookup(address: ResolvedAddress) {
  return (_host: string, options: dns.LookupOptions | LookupCallback, callback?: LookupCallback) => {
    const cb = (typeof options === 'function' ? options : callback)!;
    const all = typeof options === 'object' && options.all;
    if (all) cb(null, [{ address: address.address, family: address.family }]);
    else cb(null, address.address, address.family);
  };
}

export class UpstreamPool {
  readonly http: http.Agent;
  readonly https: https.Agent;
  readonly ca: string[];

  constructor(options: UpstreamOptions = {}) {
    this.ca = [...tls.rootCertificates, ...(options.extraCa ?? [])];
    const common = {
      keepAlive: true,
      maxFreeSockets: options.maxFreeSockets ?? 256,
      scheduling: 'lifo' as const,
    };
    this.http = new http.Agent(common);
    this.https = new https.Agent({ ...common, secureContext: tls.createSecureContext({ ca: this.ca }) });
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
    };
    if (r.scheme === 'http') return http.request({ ...base, agent: this.http });
    return https.request({
      ...base,
      agent: this.https,
      servername: net.isIP(r.host) ? undefined : r.host,
    });
  }

  /** A raw TCP connection to a vetted address (CONNECT tunnels). */
  connect(address: ResolvedAddress, port: number): net.Socket {
    return net.connect({ host: address.address, port, family: address.family });
  }

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
