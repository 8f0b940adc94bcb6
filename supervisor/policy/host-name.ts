// Request host names: normalization and classification (name or IP literal).

import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import type { IpAddress } from './host-types.ts';
import { formatAddress } from './ip-address.ts';
import { isFourPartDecimal } from './ipv4-text.ts';

/** A request host, normalized and classified once so many patterns can be tested cheaply. */
export interface HostFacts {
  /** normalizeHost() output. */
  host: string;
  /** Set when the host is an IP literal. */
  ip: IpAddress | null;
  /** For an IPv4-mapped IPv6 literal: the embedded IPv4 address. */
  mappedIPv4: ipaddr.IPv4 | null;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function hostError(host: string, why: string): Error {
  return new Error(`invalid host ${JSON.stringify(host)}: ${why}`);
}

function parseIPv6(text: string, original: string): ipaddr.IPv6 {
  if (text.includes('%')) throw hostError(original, 'IPv6 zone identifiers are not supported');
  if (!ipaddr.IPv6.isValid(text)) throw hostError(original, 'not a valid IPv6 address');
  return ipaddr.IPv6.parse(text);
}
/** Validate a lowercase ASCII domain name (no trailing dot). Throws with the reason. */
export function checkDomain(name: string, original: string): void {
  if (name.length === 0) throw hostError(original, 'empty name');
  if (name.length > 253) throw hostError(original, 'longer than 253 characters');
  for (const label of name.split('.')) {
    if (label.length === 0) throw hostError(original, 'empty label (two dots in a row, or a leading dot)');
    if (label.length > 63) throw hostError(original, `label "${label}" is longer than 63 characters`);
    if (!LABEL.test(label)) {
      throw hostError(
        original,
        `label "${label}" may contain only letters, digits, "-" and "_" and may not start or end with "-"`,
      );
    }
  }
}

/**
 * Normalize a request host: lowercase, one trailing dot removed, IDN to punycode, IPv6
 * brackets removed and compressed (`[0:0::1]` → `::1`; IPv4-mapped stays IPv6, written
 * `::ffff:127.0.0.1`), IPv4 in any form a URL accepts (`127.1`, `0x7f.0.0.1`) to dotted quad.
 * Throws an Error saying why for an invalid host.
 */
export function normalizeHost(host: string): string {
  const known = normalized.get(host);
  if (known !== undefined) return known;
  const result = normalizeUncached(host);
  if (normalized.size >= MEMO_SIZE) normalized.clear();
  normalized.set(host, result);
  return result;
}

/**
 * Hosts already normalized, as sent (the function is pure): every request asks for its
 * host at least twice (target parsing, the address check), and the WHATWG host parser and
 * the label checks cost ~10 µs each time (issue 17). Invalid hosts are not kept: they throw
 * anew. Bounded: emptied when full.
 */
const normalized = new Map<string, string>();
const MEMO_SIZE = 4096;

function normalizeUncached(host: string): string {
  if (host.length === 0) throw hostError(host, 'empty');
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) throw hostError(host, 'missing "]" after an IPv6 address');
    return formatAddress(parseIPv6(host.slice(1, -1), host));
  }
  if (host.includes(':')) {
    if (host.indexOf(':') === host.lastIndexOf(':')) {
      throw hostError(host, 'a host cannot include a port (pass the port separately)');
    }
    return formatAddress(parseIPv6(host, host));
  }
  if (/[\s/\\@#?*%]/.test(host)) {
    throw hostError(host, 'contains a character not allowed in a host name');
  }
  let name = host.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length === 0) throw hostError(host, 'empty name');
  // WHATWG host parsing: IDN → punycode, IPv4 shorthand → dotted quad, '' when invalid.
  const ascii = domainToASCII(name);
  if (ascii === '') throw hostError(host, 'not a valid host name or address');
  if (isFourPartDecimal(ascii)) return ipaddr.IPv4.parse(ascii).toString();
  checkDomain(ascii, host);
  return ascii;
}

/** Normalize and classify a request host once. Throws like normalizeHost. */
export function hostFacts(host: string): HostFacts {
  const normalized = normalizeHost(host);
  let ip: IpAddress | null = null;
  if (normalized.includes(':')) ip = ipaddr.IPv6.parse(normalized);
  else if (isFourPartDecimal(normalized)) ip = ipaddr.IPv4.parse(normalized);
  let mappedIPv4: ipaddr.IPv4 | null = null;
  if (ip && ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
    mappedIPv4 = (ip as ipaddr.IPv6).toIPv4Address();
  }
  return { host: normalized, ip, mappedIPv4 };
}
