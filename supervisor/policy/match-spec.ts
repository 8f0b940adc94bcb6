// A rule's `match`: an optional `scheme://` prefix (http, https, ws, wss), a host pattern and
// an optional `:port` or `:from-to` suffix; an IPv6 address or range with a port needs
// brackets: `[::1]:8080`, `[fd00::/8]:443`.

import type { Scheme } from '../api/policy-types.ts';
import { type HostPattern, parseHostPattern, type Result } from './host-pattern.ts';

export interface PortRange {
  from: number;
  to: number;
}

export interface ParsedMatch {
  scheme?: Scheme;
  host: HostPattern;
  /** The host pattern in normalized text form (`*.example.com`, `10.0.0.0/8`, `::1`). */
  hostText: string;
  port?: PortRange;
}

const SCHEMES: readonly Scheme[] = ['http', 'https', 'ws', 'wss'];

function parsePort(text: string): Result<PortRange> {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) {
    return { ok: false, error: `port "${text}" is not a number 1-65535 or a range like 8000-8999` };
  }
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  for (const p of [from, to]) {
    if (p < 1 || p > 65535) return { ok: false, error: `port ${p} is out of range (expected 1-65535)` };
  }
  if (to < from) return { ok: false, error: `port range ${text} is backwards (expected low-high)` };
  return { ok: true, value: { from, to } };
}

/**
 * Split a rule's `match` into scheme, host pattern and port. Returns `{ error }` with a
 * precise message for an invalid pattern.
 */
export function parseMatch(match: string): ParsedMatch | { error: string } {
  if (match.trim().length === 0) return { error: 'the pattern is empty' };
  if (/\s/.test(match)) return { error: `spaces are not allowed in a pattern ("${match}")` };
  let rest = match;
  let scheme: Scheme | undefined;
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (schemeMatch) {
    const name = (schemeMatch[1] ?? '').toLowerCase();
    if (!(SCHEMES as readonly string[]).includes(name)) {
      return { error: `unsupported scheme "${schemeMatch[1]}://" (expected http, https, ws or wss)` };
    }
    scheme = name as Scheme;
    rest = rest.slice(schemeMatch[0].length);
  } else if (rest.includes('://')) {
    return { error: `malformed scheme in "${match}" (expected http://, https://, ws:// or wss://)` };
  }
  let hostText: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return { error: `missing "]" in "${match}"` };
    hostText = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) return { error: `unexpected "${after}" after "]" (expected :port)` };
      portText = after.slice(1);
    }
    if (!hostText.includes(':')) return { error: 'brackets are only for IPv6 addresses' };
  } else {
    const colons = rest.split(':').length - 1;
    if (colons > 1) {
      hostText = rest; // unbracketed IPv6: no port possible
    } else if (colons === 1) {
      const i = rest.indexOf(':');
      hostText = rest.slice(0, i);
      portText = rest.slice(i + 1);
    } else {
      hostText = rest;
    }
  }
  const host = parseHostPattern(hostText);
  if (!host.ok) return { error: host.error };
  const parsed: ParsedMatch = { host: host.value.pattern, hostText: host.value.text };
  if (scheme) parsed.scheme = scheme;
  if (portText !== undefined) {
    const port = parsePort(portText);
    if (!port.ok) return { error: port.error };
    parsed.port = port.value;
  }
  return parsed;
}

/** Normalized text of a parsed match (scheme, host, port), e.g. `https://[::1]:8443`. */
export function formatMatch(parsed: ParsedMatch): string {
  const isV6 = parsed.hostText.includes(':');
  let text = parsed.scheme ? `${parsed.scheme}://` : '';
  text += isV6 && parsed.port ? `[${parsed.hostText}]` : parsed.hostText;
  if (parsed.port) {
    text +=
      parsed.port.from === parsed.port.to ? `:${parsed.port.from}` : `:${parsed.port.from}-${parsed.port.to}`;
  }
  return text;
}
