// The shapes shared by host names, addresses and host patterns (types only, so the
// parsers can import each other's types without a cycle).

import type ipaddr from 'ipaddr.js';

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

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };
