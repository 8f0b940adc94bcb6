// The decision path every HTTP exchange and upgrade goes through before a byte is
// forwarded: fail closed when the audit trail cannot record, check the Host of requests
// inside a tunnel, refuse a path servers could read differently when path rules decide it,
// check and inject secrets, ask the policy (and a human when it asks; an upgrade to a
// protocol other than WebSocket only when the allowing rule lists it), then vet the
// address actually connected to.

import { normalizeHost } from '../policy/index.ts';
import type { ExchangeContext } from './arrival.ts';
import { type Allowed, proxyVerdict, type Refused, settle, unavailable, vetAddress } from './decide.ts';
import { endToEndHeaders } from './hop-headers.ts';
import type { ResolvedAddress } from './resolver.ts';
import { checkSecrets } from './secrets-check.ts';
import { defaultPort, displayAuthority, type Target } from './target.ts';
import { type UpgradeOffer, upgradeRefusal } from './upgrade-offer.ts';

export type Admission =
  | {
      ok: true;
      verdict: Allowed;
      address: ResolvedAddress;
      headers: Record<string, string | string[]>;
      url: string;
    }
  | { ok: false; verdict: Refused };

/** Compare a Host header with the authority the tunnel was opened for. */
export function hostMatches(hostHeader: string | undefined, target: Target): boolean {
  if (!hostHeader) return true;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(hostHeader.trim());
  if (!m) return false;
  let host: string;
  try {
    host = normalizeHost(m[1]!);
  } catch {
    return false;
  }
  const port = m[2] ? Number(m[2]) : defaultPort(target.scheme);
  return host === target.host && port === target.port;
}

export async function admit(
  ctx: ExchangeContext,
  /** An upgrade request's offer: a protocol other than WebSocket needs the allowing rule to list it. */
  offer?: UpgradeOffer,
): Promise<Admission> {
  const { svc, sandbox, req, target, facts, via, aborter } = ctx;
  const gate = svc.gate();
  if (gate) return { ok: false, verdict: unavailable(sandbox, facts, gate) };
  if (via === 'tunnel-tls' && !hostMatches(req.headers.host, target)) {
    const shown = String(req.headers.host).slice(0, 100);
    const reason = `the Host header "${shown}" does not match the tunnel's host ${target.host}:${target.port}`;
    return {
      ok: false,
      verdict: proxyVerdict(sandbox, facts, { status: 421, verdict: 'denied', outcome: 'denied' }, reason),
    };
  }
  if (target.ambiguity && sandbox.policy().pathDecides(facts)) {
    const reason =
      `the path is ambiguous: ${target.ambiguity}; a path rule decides this request, so Warden does not guess ` +
      'how the server reads it: send it with plain "/" separators, without ";" parameters or encoded "/", "\\" and dot segments';
    return {
      ok: false,
      verdict: proxyVerdict(sandbox, facts, { status: 400, verdict: 'denied', outcome: 'denied' }, reason),
    };
  }
  const secrets = checkSecrets(svc, sandbox, facts, req.headers, target.pathAndQuery, via === 'tunnel-tls');
  if (secrets.verdict) return { ok: false, verdict: secrets.verdict };
  const decision = sandbox.policy().decideRequest(facts);
  const refused = offer ? upgradeRefusal(sandbox, facts, decision, offer) : null;
  if (refused) return { ok: false, verdict: refused };
  const verdict = await settle(svc, sandbox, facts, decision, aborter);
  if (!verdict.allowed) return { ok: false, verdict };
  const vetted = await vetAddress(svc, sandbox, facts, aborter, verdict);
  if ('needsRequest' in vetted) {
    // Only a CONNECT asks for this; a request's own method and path always decide.
    const reason = `the address check needed a request inside a tunnel: ${vetted.reason}`;
    return { ok: false, verdict: unavailable(sandbox, facts, reason) };
  }
  if (!vetted.ok) return { ok: false, verdict: vetted.verdict };
  const headers: Record<string, string | string[]> = endToEndHeaders(secrets.headers);
  headers.host = displayAuthority(target.scheme, target.host, target.port);
  return { ok: true, verdict, address: vetted.address, headers, url: secrets.url };
}

export function upstreamScheme(target: Target): 'http' | 'https' {
  return target.scheme === 'https' || target.scheme === 'wss' ? 'https' : 'http';
}
