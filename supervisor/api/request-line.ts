// How a request is written for people, the same in the CLI, the UI, the audit and the
// proxy's refusals: `METHOD scheme://host[:port]/path`, the port only when it is not the
// scheme's default, IPv6 hosts in brackets.

import type { Scheme } from './policy-types.ts';

export const DEFAULT_PORTS: Readonly<Record<Scheme, number>> = { http: 80, https: 443, ws: 80, wss: 443 };

/** `host` or `[v6]`, plus `:port` when it is not the scheme's default. */
export function displayAuthority(scheme: Scheme, host: string, port: number): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === DEFAULT_PORTS[scheme] ? h : `${h}:${port}`;
}

/** `METHOD scheme://authority/path`. */
export function requestLine(r: {
  method: string;
  scheme: Scheme;
  host: string;
  port: number;
  path: string;
}): string {
  return `${r.method} ${r.scheme}://${displayAuthority(r.scheme, r.host, r.port)}${r.path}`;
}
