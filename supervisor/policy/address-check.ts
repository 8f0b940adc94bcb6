// The check of the address a request connects to (after DNS): only rules naming addresses
// (and `localhost` for loopback) are consulted; non-public addresses are denied unless such a
// rule allows or asks, public ones allowed unless such a rule denies. Policy.checkAddress.

import type { Action, RequestFacts, RuleRef } from '../api/policy-types.ts';
import { type AddressCategory, CATEGORY_WORDS, classifyAddress, parseAddress } from './address.ts';
import {
  type CompiledRule,
  describeRule,
  needsRequest,
  portMatches,
  unmetCondition,
} from './compiled-rule.ts';
import { matchAddress } from './host-pattern.ts';
import { formatAddress, type IpAddress } from './ip-address.ts';
import { normalizePath } from './path.ts';

export interface AddressCheck {
  action: Action;
  rule: RuleRef | null;
  category: AddressCategory;
  reason: string;
}

/**
 * The address check of a CONNECT tunnel whose address is named by a rule with method, path or
 * scheme conditions: only the requests inside the tunnel can be checked, so it must be read.
 */
export interface AddressNeedsRequest {
  needsRequest: true;
  rule: RuleRef;
  category: AddressCategory;
  reason: string;
}

interface SeenAddress {
  ip: IpAddress;
  category: AddressCategory;
  shown: string;
}

/** Addresses parsed, classified and formatted once each (a sandbox connects to few); never mutated. */
const SEEN = new Map<string, SeenAddress>();
const SEEN_MAX = 1024;

/** What `address` is; throws for a string that is not an address (never cached). */
function seenAddress(address: string): SeenAddress {
  let seen = SEEN.get(address);
  if (seen) return seen;
  const ip = parseAddress(address);
  seen = { ip, category: classifyAddress(ip), shown: formatAddress(ip) };
  if (SEEN.size >= SEEN_MAX) SEEN.clear();
  SEEN.set(address, seen);
  return seen;
}

export function checkAddressWith(
  rules: readonly CompiledRule[],
  lookupHost: (host: string) => { ok: true; facts: { host: string } } | { ok: false },
  address: string,
  facts: RequestFacts,
  tunnel: boolean,
): AddressCheck | AddressNeedsRequest {
  const { host, port } = facts;
  let seen: SeenAddress;
  try {
    seen = seenAddress(address);
  } catch (error) {
    return {
      action: 'deny',
      rule: null,
      category: 'reserved',
      reason: `${host} resolved to something that is not an address: ${(error as Error).message}`,
    };
  }
  const { ip, category, shown } = seen;
  const found = lookupHost(host);
  const hostName = found.ok ? found.facts.host : host;
  const subject =
    hostName === shown
      ? `${shown} is ${CATEGORY_WORDS[category]}`
      : `${host} resolves to ${shown}, ${CATEGORY_WORDS[category]}`;
  const request = { scheme: facts.scheme, method: facts.method.toUpperCase(), path: '' };
  if (!tunnel) request.path = normalizePath(facts.path).path;
  let named: CompiledRule | undefined;
  let unmet: string | undefined;
  for (const rule of rules) {
    if (!portMatches(rule, port)) continue;
    const names =
      (rule.namesAddress && matchAddress(rule.parsed.host, ip)) ||
      (rule.isLocalhost && category === 'loopback' && hostName === 'localhost');
    if (!names) continue;
    if (tunnel && needsRequest(rule)) {
      return {
        needsRequest: true,
        rule: rule.ref,
        category,
        reason: `${subject}, which ${describeRule(rule.ref)} names for some requests only, so the request inside the tunnel decides`,
      };
    }
    const why = tunnel ? null : unmetCondition(rule, request);
    if (why !== null) {
      unmet ??= `${describeRule(rule.ref)} names the address, but not this request (${why})`;
      continue;
    }
    named = rule;
    break;
  }
  if (category === 'public') {
    if (named && named.ref.action === 'deny') {
      return {
        action: 'deny',
        rule: named.ref,
        category,
        reason: `${subject}, which ${describeRule(named.ref)} denies`,
      };
    }
    return { action: 'allow', rule: null, category, reason: `${subject}` };
  }
  if (named && named.ref.action !== 'deny') {
    const verb = named.ref.action === 'allow' ? 'allows' : 'sends to a human';
    return {
      action: named.ref.action,
      rule: named.ref,
      category,
      reason: `${subject}, which ${describeRule(named.ref)} ${verb}`,
    };
  }
  if (named) {
    return {
      action: 'deny',
      rule: named.ref,
      category,
      reason: `${subject}, which ${describeRule(named.ref)} denies`,
    };
  }
  const prefix = ip.kind() === 'ipv4' ? 32 : 128;
  if (unmet) {
    return {
      action: 'deny',
      rule: null,
      category,
      reason: `${subject}; ${unmet}; sandboxes cannot reach such addresses unless a rule names the address for the request`,
    };
  }
  return {
    action: 'deny',
    rule: null,
    category,
    reason:
      `${subject}; sandboxes cannot reach loopback, private, link-local or metadata addresses unless a rule names ` +
      `the address (add "- match: ${shown}/${prefix}, action: allow")`,
  };
}
