// Parse what a client asked the proxy for: an absolute-form URL (plain HTTP proxying) or a
// CONNECT authority, into the facts the policy decides on.

import type { RequestFacts, Scheme } from '../api/index.ts';
import { DEFAULT_PORTS, displayAuthority } from '../api/request-line.ts';
import { normalizeHost, normalizePath, pathAmbiguity } from '../policy/index.ts';

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

export interface Target {
  scheme: Scheme;
  host: string;
  port: number;
  /** Normalized path plus query, as forwarded upstream. */
  pathAndQuery: string;
  /** Normalized path without query, as matched by the policy. */
  path: string;
  /** Why the path as sent is ambiguous (pathAmbiguity): refused when path rules decide it. */
  ambiguity?: string;
}

export function defaultPort(scheme: Scheme): number {
  return DEFAULT_PORTS[scheme];
}

/** `host:port` of a CONNECT request. IPv6 hosts are bracketed. */
export function parseAuthority(authority: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(authority);
  if (!m) throw new TargetError(`CONNECT target "${truncate(authority)}" is not host:port`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new TargetError(`CONNECT target port ${m[2]} is out of range`);
  let host: string;
  try {
    host = normalizeHost(m[1]!);
  } catch (error) {
    throw new TargetError(`CONNECT target host is invalid: ${(error as Error).message}`);
  }
  return { host, port };
}

/** An origin-form path (`/a/b?q`) with its normalized pieces, and what is ambiguous in it. */
export function splitPath(raw: string): { path: string; pathAndQuery: string; ambiguity?: string } {
  if (!raw.startsWith('/')) throw new TargetError(`request target "${truncate(raw)}" is not a path`);
  const { path, query } = normalizePath(raw);
  const split = { path, pathAndQuery: query ? `${path}?${query}` : path };
  const ambiguity = pathAmbiguity(raw);
  return ambiguity ? { ...split, ambiguity } : split;
}

/**
 * The absolute-form URL of a plain forward-proxy request. `websocket`: the request is a
 * WebSocket handshake, decided under ws (whether spelled http:// or ws://); a ws:// URL on
 * anything else is refused, since it would be sent as plain HTTP.
 */
export function parseAbsoluteUrl(raw: string, websocket: boolean): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetError(
      `request target "${truncate(raw)}" is not an absolute URL (is this client configured to use a proxy?)`,
    );
  }
  let scheme: Scheme;
  if (url.protocol === 'http:') scheme = websocket ? 'ws' : 'http';
  else if (url.protocol === 'ws:' && websocket) scheme = 'ws';
  else if (url.protocol === 'ws:')
    throw new TargetError(
      'a ws:// URL is a WebSocket handshake (GET with Connection: Upgrade and Upgrade: websocket), and this request is not one; send plain HTTP requests to http:// URLs',
    );
  else if (url.protocol === 'https:' || url.protocol === 'wss:')
    throw new TargetError(
      `${url.protocol}// URLs must be tunnelled with CONNECT, not sent as plain requests`,
    );
  else throw new TargetError(`scheme ${url.protocol} is not supported by the proxy`);
  if (url.username || url.password)
    throw new TargetError('credentials in the URL are not forwarded; use a header');
  let host: string;
  try {
    host = normalizeHost(url.hostname);
  } catch (error) {
    throw new TargetError(`host is invalid: ${(error as Error).message}`);
  }
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[scheme];
  // Match and forward the raw request path (not the URL parser's view of it) after our own normalization.
  const afterAuthority = raw.replace(/^[a-z]+:\/\/[^/?#]*/i, '') || '/';
  const split = splitPath(afterAuthority.startsWith('/') ? afterAuthority : `/${afterAuthority}`);
  return { scheme, host, port, ...split };
}

export function factsOf(target: Target, method: string): RequestFacts {
  const facts: RequestFacts = {
    scheme: target.scheme,
    host: target.host,
    port: target.port,
    method: method.toUpperCase(),
    path: target.path,
  };
  const q = target.pathAndQuery.indexOf('?');
  if (q >= 0) facts.query = target.pathAndQuery.slice(q + 1);
  return facts;
}

export { displayAuthority };

export function displayUrl(t: {
  scheme: Scheme;
  host: string;
  port: number;
  pathAndQuery?: string;
  path?: string;
}): string {
  return `${t.scheme}://${displayAuthority(t.scheme, t.host, t.port)}${t.pathAndQuery ?? t.path ?? ''}`;
}

function truncate(s: string): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}
