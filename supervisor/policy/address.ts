// What kind of address a sandbox is about to connect to, after DNS. Everything that is not a
// public unicast address is unreachable unless a rule names it (security model, point 3).

import ipaddr from 'ipaddr.js';
import type { IpAddress } from './ip-address.ts';
import { isFourPartDecimal } from './ipv4-text.ts';

export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved'
  | 'carrier-nat';

/** Human words for a category, with the article: "a loopback address". */
export const CATEGORY_WORDS: Record<AddressCategory, string> = {
  public: 'a public address',
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
  'carrier-nat': 'a carrier-grade NAT address',
};

/** Cloud instance metadata services: AWS/GCP/OpenStack, AWS IPv6, Alibaba, Azure wire server. */
const METADATA = ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '168.63.129.16'].map((a) =>
  ipaddr.parse(a).toNormalizedString(),
);

type Table = Array<[IpAddress, number, AddressCategory]>;

function table(rows: Array<[string, AddressCategory]>): Table {
  return rows.map(([cidr, category]) => {
    const [network, prefix] = ipaddr.parseCIDR(cidr);
    return [network, prefix, category];
  });
}

// Order matters only where ranges overlap (none below overlap except 240/4 with broadcast).
const IPV4: Table = table([
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['169.254.0.0/16', 'link-local'],
  ['100.64.0.0/10', 'carrier-nat'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'], // includes 255.255.255.255
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
]);

const IPV6: Table = table([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['fc00::/7', 'private'],
  ['fec0::/10', 'private'], // deprecated site-local
  ['ff00::/8', 'multicast'],
  ['64:ff9b:1::/48', 'private'], // local-use NAT64 (RFC 8215)
  ['::/96', 'reserved'], // deprecated IPv4-compatible
  ['100::/64', 'reserved'], // discard
  ['2001:db8::/32', 'reserved'], // documentation
]);

function lookup(address: IpAddress, rows: Table): AddressCategory {
  for (const [network, prefix, category] of rows) {
    if (address.kind() === network.kind() && address.match(network, prefix)) return category;
  }
  return 'public';
}

function classifyIPv4(address: ipaddr.IPv4): AddressCategory {
  if (METADATA.includes(address.toNormalizedString())) return 'metadata';
  return lookup(address, IPV4);
}

/** The IPv4 address an IPv6 address stands for: IPv4-mapped, NAT64 (64:ff9b::/96), 6to4. */
export function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = address.parts;
  const v4 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0) {
    return v4(p[6] ?? 0, p[7] ?? 0);
  }
  if (p[0] === 0x2002) return v4(p[1] ?? 0, p[2] ?? 0);
  return null;
}

/** Parse an address as connected to (brackets allowed). Throws for anything else. */
export function parseAddress(address: string): IpAddress {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (isFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(':') && !text.includes('%') && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  throw new Error(`"${address}" is not an IP address`);
}

/**
 * Classify an address. IPv4-mapped IPv6, NAT64 (64:ff9b::/96) and 6to4 addresses are judged
 * by the IPv4 address they embed (a 6to4 address embedding a public one stays public); cloud
 * metadata addresses win over link-local and private. Throws for a string that is not an address.
 */
export function classifyAddress(address: string | IpAddress): AddressCategory {
  const ip = typeof address === 'string' ? parseAddress(address) : address;
  if (ip.kind() === 'ipv4') return classifyIPv4(ip as ipaddr.IPv4);
  const v6 = ip as ipaddr.IPv6;
  if (METADATA.includes(v6.toNormalizedString())) return 'metadata';
  const embedded = embeddedIPv4(v6);
  if (embedded) return classifyIPv4(embedded);
  return lookup(v6, IPV6);
}
