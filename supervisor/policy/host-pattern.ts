// Host names and host patterns: normalization, parsing of a rule's `match`, and matching.
// Hand-written on purpose: this decides what a sandbox may reach, so every form is explicit.
//
// Pattern forms (host part of `match`):
//   example.com        exactly that host
//   *.example.com      exactly one extra label (a.example.com, not a.b.example.com, not the apex)
//   **.example.com     one or more extra labels (not the apex)
//   *                  any host (names and addresses)
//   10.0.0.1, ::1      one address
//   10.0.0.0/8, fd00::/8  an address range
// `match` may add a `scheme://` prefix (http, https, ws, wss) and a `:port` or `:from-to` suffix;
// an IPv6 address or range with a port needs brackets: `[::1]:8080`, `[fd00::/8]:443`.

import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import type { Scheme } from '../api/policy-types.ts';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export type HostPattern =
  | { kind: 'any' }
  | { kind: 'exact'; host: string }
  /** `*.suffix`: exactly one label before the suffix. */
  | { kind: 'one-label'; suffix: string }
  /** `**.suffix`: one or more labels before the suffix. */
  | { kind: 'any-depth'; suffix: string }
  | { kind: 'address'; address: IpAddress }
  | { kind: 'cidr'; network: IpAddress; prefix: number };

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

/** A request host, normalized and classified once so many patterns can be tested cheaply. */
export interface HostFacts {
  /** normalizeHost() output. */
  host: string;
  /** Set when the host is an IP literal. */
  ip: IpAddress | null;
  /** For an IPv4-mapped IPv6 literal: the embedded IPv4 address. */
  mappedIPv4: ipaddr.IPv4 | null;
}

const SCHEMES: readonly Scheme[] = ['http', 'https', 'ws', 'wss'];
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function hostError(host: string, why: string): Error {
  return new Error(`invalid host ${JSON.stringify(host)}: ${why}`);
}

/** Canonical text of an address: compressed lowercase IPv6, IPv4-mapped as `::ffff:a.b.c.d`. */
export function formatAddress(address: IpAddress): string {
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return `::ffff:${v6.toIPv4Address().toString()}`;
  }
  return address.toString();
}

function parseIPv6(text: string, original: string): ipaddr.IPv6 {
  if (text.includes('%')) throw hostError(original, 'IPv6 zone identifiers are not supported');
  if (!ipaddr.IPv6.isValid(text)) throw hostError(original, 'not a valid IPv6 address');
  return ipaddr.IPv6.parse(text);
}

/** Validate a lowercase ASCII domain name (no trailing dot). Throws with the reason. */
function checkDomain(name: string, original: string): void {
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
  if (ipaddr.IPv4.isValidFourPartDecimal(ascii)) return ipaddr.IPv4.parse(ascii).toString();
  checkDomain(ascii, host);
  return ascii;
}

/** Normalize and classify a request host once. Throws like normalizeHost. */
export function hostFacts(host: string): HostFacts {
  const normalized = normalizeHost(host);
  let ip: IpAddress | null = null;
  if (normalized.includes(':')) ip = ipaddr.IPv6.parse(normalized);
  else if (ipaddr.IPv4.isValidFourPartDecimal(normalized)) ip = ipaddr.IPv4.parse(normalized);
  let mappedIPv4: ipaddr.IPv4 | null = null;
  if (ip && ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
    mappedIPv4 = (ip as ipaddr.IPv6).toIPv4Address();
  }
  return { host: normalized, ip, mappedIPv4 };
}

// ---------------------------------------------------------------------------------------------
// Host patterns

type Result<T> = { ok: true; value: T } | { ok: false; error: string };

function parseAddressPattern(text: string): Result<{ pattern: HostPattern; text: string }> | null {
  const slash = text.indexOf('/');
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const isV6 = addressText.includes(':');
  const looksV4 = /^[0-9.]+$/.test(addressText) && /^\d/.test(addressText);
  if (!isV6 && !looksV4) return null;
  let address: IpAddress;
  if (isV6) {
    if (addressText.includes('%')) return { ok: false, error: 'IPv6 zone identifiers are not supported' };
    if (!ipaddr.IPv6.isValid(addressText)) {
      return { ok: false, error: `"${addressText}" is not a valid IPv6 address` };
    }
    address = ipaddr.IPv6.parse(addressText);
  } else {
    if (!ipaddr.IPv4.isValidFourPartDecimal(addressText)) {
      return {
        ok: false,
        error: `"${addressText}" is not a valid IPv4 address (expected four numbers 0-255, like 10.0.0.1)`,
      };
    }
    address = ipaddr.IPv4.parse(addressText);
  }
  if (slash === -1) {
    // An IPv4-mapped literal names the IPv4 address itself.
    const effective =
      address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
        ? (address as ipaddr.IPv6).toIPv4Address()
        : address;
    return {
      ok: true,
      value: { pattern: { kind: 'address', address: effective }, text: formatAddress(address) },
    };
  }
  const prefixText = text.slice(slash + 1);
  const max = address.kind() === 'ipv6' ? 128 : 32;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return {
      ok: false,
      error: `prefix length "/${prefixText}" is out of range for ${address.kind() === 'ipv6' ? 'IPv6' : 'IPv4'} (expected /0 to /${max})`,
    };
  }
  const prefix = Number(prefixText);
  const network = networkAddress(address, prefix);
  if (network.toNormalizedString() !== address.toNormalizedString()) {
    return {
      ok: false,
      error: `${text} has bits set after the /${prefix} prefix; did you mean ${formatAddress(network)}/${prefix}?`,
    };
  }
  return {
    ok: true,
    value: {
      pattern: { kind: 'cidr', network: address, prefix },
      text: `${formatAddress(address)}/${prefix}`,
    },
  };
}

function networkAddress(address: IpAddress, prefix: number): IpAddress {
  const bytes = address.toByteArray();
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    const i = bit >> 3;
    bytes[i] = (bytes[i] ?? 0) & ~(0x80 >> (bit & 7));
  }
  return ipaddr.fromByteArray(bytes);
}

function parseDomainPattern(text: string): Result<string> {
  if (text.includes('*')) {
    return {
      ok: false,
      error: `"${text}": "*" must be a whole label, and only the first one: use *.example.com (one label) or **.example.com (any depth)`,
    };
  }
  const ascii = domainToASCII(text);
  if (ascii === '' || ascii.includes('%')) {
    return { ok: false, error: `"${text}" is not a valid host name` };
  }
  try {
    checkDomain(ascii, text);
  } catch (error) {
    return { ok: false, error: (error as Error).message.replace(/^invalid host "[^"]*": /, `"${text}": `) };
  }
  return { ok: true, value: ascii };
}

/** Parse the host part of a pattern (no scheme, no port, no brackets). */
export function parseHostPattern(raw: string): Result<{ pattern: HostPattern; text: string }> {
  if (raw.length === 0) return { ok: false, error: 'the host is empty' };
  if (/\s/.test(raw)) return { ok: false, error: 'spaces are not allowed in a host pattern' };
  if (raw === '*') return { ok: true, value: { pattern: { kind: 'any' }, text: '*' } };
  if (raw === '**') return { ok: false, error: '"**" alone is not a pattern; use "*" for any host' };
  const address = parseAddressPattern(raw);
  if (address) return address;
  if (raw.includes('/')) {
    return {
      ok: false,
      error:
        'a host pattern cannot contain "/" (paths go in `paths:`; only IP ranges use "/", like 10.0.0.0/8)',
    };
  }
  let name = raw.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  let kind: 'exact' | 'one-label' | 'any-depth' = 'exact';
  if (name.startsWith('**.')) {
    kind = 'any-depth';
    name = name.slice(3);
  } else if (name.startsWith('*.')) {
    kind = 'one-label';
    name = name.slice(2);
  }
  if (name.startsWith('*')) {
    return { ok: false, error: `only the first label may be a wildcard ("${raw}")` };
  }
  const domain = parseDomainPattern(name);
  if (!domain.ok) return domain;
  if (ipaddr.IPv4.isValidFourPartDecimal(domain.value)) {
    return { ok: false, error: `wildcards cannot be combined with an address; use a range like 10.0.0.0/8` };
  }
  switch (kind) {
    case 'exact':
      return { ok: true, value: { pattern: { kind, host: domain.value }, text: domain.value } };
    case 'one-label':
      return { ok: true, value: { pattern: { kind, suffix: domain.value }, text: `*.${domain.value}` } };
    case 'any-depth':
      return { ok: true, value: { pattern: { kind, suffix: domain.value }, text: `**.${domain.value}` } };
  }
}

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

/** Does this pattern name addresses (an IP literal or range) rather than host names? */
export function isAddressPattern(pattern: HostPattern): boolean {
  return pattern.kind === 'address' || pattern.kind === 'cidr';
}

function addressMatches(pattern: HostPattern, ip: IpAddress, mapped: ipaddr.IPv4 | null): boolean {
  const candidates: IpAddress[] = mapped ? [ip, mapped] : [ip];
  for (const candidate of candidates) {
    if (pattern.kind === 'address') {
      if (
        candidate.kind() === pattern.address.kind() &&
        candidate.toNormalizedString() === pattern.address.toNormalizedString()
      ) {
        return true;
      }
    } else if (pattern.kind === 'cidr') {
      if (candidate.kind() === pattern.network.kind() && candidate.match(pattern.network, pattern.prefix))
        return true;
    }
  }
  return false;
}

/** Match a parsed host pattern against a normalized, classified host. */
export function matchHost(pattern: HostPattern, facts: HostFacts): boolean {
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'address':
    case 'cidr':
      return facts.ip !== null && addressMatches(pattern, facts.ip, facts.mappedIPv4);
    case 'exact':
      return facts.ip === null && facts.host === pattern.host;
    case 'one-label': {
      if (facts.ip !== null) return false;
      const h = facts.host;
      const cut = h.length - pattern.suffix.length - 1;
      return cut > 0 && h.endsWith(pattern.suffix) && h[cut] === '.' && !h.slice(0, cut).includes('.');
    }
    case 'any-depth': {
      if (facts.ip !== null) return false;
      const h = facts.host;
      const cut = h.length - pattern.suffix.length - 1;
      return cut > 0 && h.endsWith(pattern.suffix) && h[cut] === '.';
    }
  }
}

/** Match an address (after DNS) against a pattern; only address patterns and `*` can match. */
export function matchAddress(pattern: HostPattern, ip: IpAddress): boolean {
  if (pattern.kind === 'any') return true;
  const mapped =
    ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()
      ? (ip as ipaddr.IPv6).toIPv4Address()
      : null;
  return addressMatches(pattern, ip, mapped);
}

/**
 * Does `host` match the host `pattern`? Case-insensitive, trailing dots ignored, IDN compared
 * in punycode. The pattern is the host part only (no scheme or port); an invalid pattern or
 * host matches nothing.
 */
export function matchHostPattern(pattern: string, host: string): boolean {
  const parsed = parseHostPattern(
    pattern.startsWith('[') && pattern.endsWith(']') ? pattern.slice(1, -1) : pattern,
  );
  if (!parsed.ok) return false;
  let facts: HostFacts;
  try {
    facts = hostFacts(host);
  } catch {
    return false;
  }
  return matchHost(parsed.value.pattern, facts);
}
