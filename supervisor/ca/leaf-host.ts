// What a leaf certificate may be minted for: one DNS name or one IP address.

import net from 'node:net';

export interface LeafHost {
  /** Normalized: lower case, no trailing dot, IPv6 without brackets. */
  name: string;
  kind: 'dns' | 'ip';
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Normalize a host for minting; throws a plain error naming the host when it is not usable. */
export function parseLeafHost(host: string): LeafHost {
  let name = host.trim().toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (net.isIP(name) !== 0) return { name, kind: 'ip' };
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length === 0 || name.length > 253 || !name.split('.').every((label) => LABEL.test(label))) {
    throw new Error(`cannot mint a certificate for ${JSON.stringify(host)}: not a DNS name or IP address`);
  }
  return { name, kind: 'dns' };
}
