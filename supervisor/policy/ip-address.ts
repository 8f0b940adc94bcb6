// IP literals and ranges: canonical text of an address, and parsing of an address or CIDR
// host pattern (`10.0.0.1`, `::1`, `10.0.0.0/8`, `fd00::/8`).

import ipaddr from 'ipaddr.js';
import type { HostPattern, IpAddress, Result } from './host-types.ts';
import { isFourPartDecimal } from './ipv4-text.ts';

export type { IpAddress };

/** Canonical text of an address: compressed lowercase IPv6, IPv4-mapped as `::ffff:a.b.c.d`. */
export function formatAddress(address: IpAddress): string {
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return `::ffff:${v6.toIPv4Address().toString()}`;
  }
  return address.toString();
}

export function parseAddressPattern(text: string): Result<{ pattern: HostPattern; text: string }> | null {
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
    if (!isFourPartDecimal(addressText)) {
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
