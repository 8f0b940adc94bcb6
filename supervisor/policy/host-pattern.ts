// Host patterns: parsing of the host part of a rule's `match`, and matching.
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
import type ipaddr from 'ipaddr.js';
import { checkDomain, type HostFacts, hostFacts } from './host-name.ts';
import type { HostPattern, IpAddress, Result } from './host-types.ts';
import { parseAddressPattern } from './ip-address.ts';
import { isFourPartDecimal } from './ipv4-text.ts';

export type { HostPattern, Result };

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
  if (isFourPartDecimal(domain.value)) {
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

/** Does this pattern name addresses (an IP literal or range) rather than host names? */
export function isAddressPattern(pattern: HostPattern): boolean {
  return pattern.kind === 'address' || pattern.kind === 'cidr';
}

/** The same address (and zone), compared part by part: no strings made per request. */
function sameAddress(a: IpAddress, b: IpAddress): boolean {
  if (a.kind() !== b.kind()) return false;
  if (a.kind() === 'ipv4') return sameParts((a as ipaddr.IPv4).octets, (b as ipaddr.IPv4).octets);
  const [x, y] = [a as ipaddr.IPv6, b as ipaddr.IPv6];
  return x.zoneId === y.zoneId && sameParts(x.parts, y.parts);
}

function sameParts(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function addressMatches(pattern: HostPattern, ip: IpAddress, mapped: ipaddr.IPv4 | null): boolean {
  const candidates: IpAddress[] = mapped ? [ip, mapped] : [ip];
  for (const candidate of candidates) {
    if (pattern.kind === 'address') {
      if (sameAddress(candidate, pattern.address)) return true;
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
