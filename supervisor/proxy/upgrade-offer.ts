// The protocols an HTTP/1.1 Upgrade request offers, and whether they may be spliced: a
// WebSocket handshake wherever its request is allowed; any other protocol (h2c, TLS/1.x,
// custom ones) only when the rule that allows the request lists it in `upgrades`, since
// after the 101 the proxy reads nothing of it. The upstream may only switch to what was offered.

import type { Decision, RequestFacts } from '../api/index.ts';
import { UPGRADE_PROTOCOL_PATTERN } from '../api/policy-schema.ts';
import type { BlockInfo } from './block.ts';
import { ruleLabel } from './block.ts';
import type { SandboxContext } from './context.ts';
import type { Refused } from './decide.ts';
import { TargetError } from './target.ts';

const PROTOCOL = new RegExp(UPGRADE_PROTOCOL_PATTERN);

export interface UpgradeOffer {
  /** The protocols as sent, in order (the Upgrade header forwarded is these, joined). */
  protocols: string[];
  /** Exactly one protocol, WebSocket: a handshake decided under ws/wss. */
  websocket: boolean;
}

/** The offer of an Upgrade header, or why it cannot be read. */
export function readUpgradeOffer(header: string | string[] | undefined): UpgradeOffer | { error: string } {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  const protocols = values
    .flatMap((v) => v.split(','))
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (protocols.length === 0)
    return {
      error: 'the request asks for an upgrade (Connection: Upgrade) but names no protocol in Upgrade',
    };
  const bad = protocols.find((p) => !PROTOCOL.test(p));
  if (bad !== undefined)
    return {
      error: `Upgrade names "${bad.replace(/[^\x20-\x7e]/g, '?').slice(0, 60)}", which is not a protocol`,
    };
  return { protocols, websocket: protocols.length === 1 && protocols[0]!.toLowerCase() === 'websocket' };
}

/** The offer of an upgrade request; a TargetError (400) when it is unreadable or a WebSocket handshake is not a GET. */
export function requestOffer(req: {
  method?: string | undefined;
  headers: { upgrade?: string | string[] };
}): UpgradeOffer {
  const offer = readUpgradeOffer(req.headers.upgrade);
  if ('error' in offer) throw new TargetError(offer.error);
  if (offer.websocket && req.method !== 'GET')
    throw new TargetError(
      `a WebSocket handshake is a GET (RFC 6455 §4.1), not ${String(req.method).slice(0, 20)}: send the handshake as GET`,
    );
  return offer;
}

/** Does a rule's `upgrades` entry cover an offered protocol? A bare name covers every version. */
function covers(entry: string, protocol: string): boolean {
  const e = entry.toLowerCase();
  const p = protocol.toLowerCase();
  return e === p || (!e.includes('/') && p.startsWith(`${e}/`));
}

/**
 * The refusal of an offer the policy's decision does not allow, or null. A denial is left
 * to the policy (its own reason); an allow by a rule that lists every offered protocol other
 * than websocket lets it through; anything else (an allow that lists none, an ask, the
 * default) is refused before any human is asked, with the field that would allow it.
 */
export function upgradeRefusal(
  sandbox: SandboxContext,
  facts: RequestFacts,
  decision: Decision,
  offer: UpgradeOffer,
): Refused | null {
  if (offer.websocket || decision.action === 'deny') return null;
  const listed = decision.action === 'allow' ? (decision.rule?.upgrades ?? []) : [];
  const missing = offer.protocols.filter(
    (p) => p.toLowerCase() !== 'websocket' && !listed.some((entry) => covers(entry, p)),
  );
  if (missing.length === 0) return null;
  const names = missing.join(', ');
  const by =
    decision.action === 'allow' && decision.rule
      ? `${ruleLabel(decision.rule)} allows the request but does not list ${names} in its upgrades`
      : 'only a rule that allows the request can list protocols in its upgrades';
  const reason = `an upgrade to ${names} is not allowed: only WebSocket upgrades are spliced unless the allowing rule lists the protocol; ${by}`;
  const block: BlockInfo = {
    status: 403,
    verdict: 'denied',
    reason,
    identity: sandbox.identity,
    facts,
    rule: decision.rule,
    howToAllow: [
      'after the switch Warden reads nothing of the connection; if that is acceptable, in the rule that allows it add:',
      `  upgrades: [${missing.map((p) => p.toLowerCase()).join(', ')}]`,
    ],
  };
  return { allowed: false, outcome: 'denied', rule: decision.rule, reason, decidedBy: 'policy', block };
}

/** Why a 101 cannot be spliced: the upstream switched to something it was not offered. */
export function switchRefusal(offer: UpgradeOffer, answered: string | string[] | undefined): string | null {
  const got = readUpgradeOffer(answered);
  const offered = offer.protocols.map((p) => p.toLowerCase());
  if ('error' in got || got.protocols.length !== 1 || !offered.includes(got.protocols[0]!.toLowerCase())) {
    const shown = String(answered ?? 'nothing')
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, 60);
    return `the upstream switched protocols to ${shown}, which was not offered (offered: ${offer.protocols.join(', ')})`;
  }
  return null;
}
