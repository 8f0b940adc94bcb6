// The decision path of one request: the policy's answer, a human's answer when the policy
// asks, and the check of the address actually connected to (SSRF rules, after DNS).

import type { Decision, RequestFacts, RequestOutcome, RuleRef } from '../api/index.ts';
import { type AddressCheck, suggestRule } from '../policy/index.ts';
import { type BlockInfo, howToAllow } from './block.ts';
import type { ProxyServices, SandboxContext } from './context.ts';
import type { Aborter } from './lazy-abort.ts';
import type { ResolvedAddress } from './resolver.ts';

/** What every verdict says, allowed or not: the outcome, the rule, why, and who decided. */
export interface VerdictFacts {
  outcome: RequestOutcome;
  rule: RuleRef | null;
  reason: string;
  decidedBy: 'policy' | 'approval' | 'proxy';
  approvalId?: string;
}

export interface Allowed extends VerdictFacts {
  allowed: true;
}

/** Not let through: `block` is what the client is told. */
export interface Refused extends VerdictFacts {
  allowed: false;
  block: BlockInfo;
}

export type Verdict = Allowed | Refused;

/** The proxy could not carry out what was allowed (an upstream failed, a body it cannot relay). */
export function failedAfter(
  verdict: Verdict,
  sandbox: SandboxContext,
  facts: RequestFacts,
  status: 400 | 502,
  reason: string,
): Refused {
  const block: BlockInfo = { status, verdict: 'error', reason, identity: sandbox.identity, facts };
  return { ...verdict, allowed: false, outcome: 'error', reason, block };
}

function denial(
  sandbox: SandboxContext,
  facts: RequestFacts,
  v: VerdictFacts,
  verdict: string,
  withHints = true,
): Refused {
  const block: BlockInfo = {
    status: 403,
    verdict,
    reason: v.reason,
    identity: sandbox.identity,
    facts,
    rule: v.rule,
    approvalId: v.approvalId,
    howToAllow: withHints
      ? howToAllow({
          identity: sandbox.identity,
          facts,
          suggested: suggestRule(facts),
          policySource: sandbox.policySource(),
        })
      : undefined,
  };
  return { ...v, allowed: false, block };
}

/** Turn a policy decision into a verdict, asking a human when the policy says ask. */
export async function settle(
  svc: ProxyServices,
  sandbox: SandboxContext,
  facts: RequestFacts,
  decision: Decision,
  aborter: Aborter,
): Promise<Verdict> {
  if (decision.action === 'allow') {
    return {
      allowed: true,
      outcome: 'allowed',
      rule: decision.rule,
      reason: decision.reason,
      decidedBy: 'policy',
    };
  }
  if (decision.action === 'deny') {
    // A rule that denies on purpose gets no "how to allow" recipe beyond naming the rule.
    return denial(
      sandbox,
      facts,
      { outcome: 'denied', rule: decision.rule, reason: decision.reason, decidedBy: 'policy' },
      'denied',
      decision.rule === null,
    );
  }
  const policy = sandbox.policy();
  const outcome = await svc.approvals.request({
    identity: sandbox.identity,
    facts,
    reason: decision.reason,
    rule: decision.rule,
    suggestedRule: suggestRule(facts),
    timeoutSeconds: policy.approvalTimeoutSeconds,
    signal: aborter.signal,
    ...(decision.rule?.approver ? { approver: decision.rule.approver } : {}),
  });
  const base = { rule: decision.rule, approvalId: outcome.approvalId };
  if (outcome.kind === 'answered') {
    const how = `${outcome.scope === 'always' ? 'always' : 'once'}${outcome.reason ? `: ${outcome.reason}` : ''}`;
    if (outcome.decision === 'allow') {
      return {
        ...base,
        allowed: true,
        outcome: 'allowed',
        decidedBy: 'approval',
        reason: `${outcome.by} allowed it (${how})`,
      };
    }
    return denial(
      sandbox,
      facts,
      { ...base, outcome: 'denied', decidedBy: 'approval', reason: `${outcome.by} denied it (${how})` },
      'denied',
      false,
    );
  }
  if (outcome.kind === 'expired') {
    return denial(
      sandbox,
      facts,
      {
        ...base,
        outcome: 'timed_out',
        decidedBy: 'approval',
        reason:
          outcome.why ??
          `approval timed out: nobody answered within ${outcome.timeoutSeconds} s (${decision.reason})`,
      },
      'timed-out',
    );
  }
  return denial(
    sandbox,
    facts,
    { ...base, outcome: 'error', decidedBy: 'approval', reason: outcome.reason },
    'cancelled',
  );
}

export type Vetted =
  | { ok: true; address: ResolvedAddress }
  | { ok: false; verdict: Refused }
  /** A tunnel to an address a rule names for some requests only: read it and decide each request. */
  | { ok: false; needsRequest: true; reason: string };

/**
 * Resolve the host and pick an address the policy lets this sandbox reach. Loopback,
 * private, link-local and metadata addresses need a rule naming them for this request,
 * whatever the name; for a tunnel (method CONNECT) such a rule with method or path
 * conditions means the tunnel must be read (needsRequest).
 */
function approvedLiteral(
  verdict: Verdict | undefined,
  facts: RequestFacts,
  address: ResolvedAddress,
  check: AddressCheck,
): boolean {
  if (verdict?.decidedBy !== 'approval' || check.action !== 'deny' || check.rule !== null) return false;
  if (!['loopback', 'private', 'link-local', 'carrier-nat'].includes(check.category)) return false;
  return facts.host.replace(/^\[|\]$/g, '') === address.address;
}

export async function vetAddress(
  svc: ProxyServices,
  sandbox: SandboxContext,
  facts: RequestFacts,
  aborter: Aborter,
  verdict?: Verdict,
): Promise<Vetted> {
  let addresses: ResolvedAddress[];
  try {
    addresses = await svc.resolver.resolve(facts.host);
  } catch (error) {
    const reason = (error as Error).message;
    return {
      ok: false,
      verdict: proxyVerdict(sandbox, facts, { status: 502, verdict: 'error', outcome: 'error' }, reason),
    };
  }
  const policy = sandbox.policy();
  const tunnel = facts.method === 'CONNECT';
  let firstDenial: AddressCheck | undefined;
  let asked: { address: ResolvedAddress; check: AddressCheck } | undefined;
  for (const address of addresses) {
    const check = tunnel
      ? policy.checkTunnelAddress(address.address, facts.host, facts.port)
      : policy.checkAddress(address.address, facts);
    if ('needsRequest' in check) return { ok: false, needsRequest: true, reason: check.reason };
    if (check.action === 'allow') return { ok: true, address };
    // A human who just approved this request has answered an address-level ask as well, and
    // one who approved a request written with this very address (the card showed it) has
    // named it for this request; never a metadata address, never against a deny rule.
    if (check.action === 'ask' && verdict?.decidedBy === 'approval') return { ok: true, address };
    if (approvedLiteral(verdict, facts, address, check)) return { ok: true, address };
    if (check.action === 'ask') asked ??= { address, check };
    else firstDenial ??= check;
  }
  if (asked) {
    const verdict = await settle(
      svc,
      sandbox,
      facts,
      { action: 'ask', rule: asked.check.rule, reason: asked.check.reason },
      aborter,
    );
    return verdict.allowed ? { ok: true, address: asked.address } : { ok: false, verdict };
  }
  // Every address was checked and none was allowed or asked about: at least one was denied.
  const check = firstDenial;
  if (!check) {
    const reason = `${facts.host} resolved to no address`;
    return {
      ok: false,
      verdict: proxyVerdict(sandbox, facts, { status: 502, verdict: 'error', outcome: 'error' }, reason),
    };
  }
  return {
    ok: false,
    verdict: {
      allowed: false,
      outcome: 'denied',
      rule: check.rule,
      reason: check.reason,
      decidedBy: 'policy',
      block: {
        status: 403,
        verdict: 'denied',
        reason: check.reason,
        identity: sandbox.identity,
        facts,
        rule: check.rule,
      },
    },
  };
}

/** A refusal the proxy makes itself (no rule involved): what the client and the record get. */
export function proxyVerdict(
  sandbox: SandboxContext,
  facts: RequestFacts | undefined,
  kind: { status: BlockInfo['status']; verdict: string; outcome: 'denied' | 'error' },
  reason: string,
): Refused {
  return {
    allowed: false,
    outcome: kind.outcome,
    rule: null,
    reason,
    decidedBy: 'proxy',
    block: { status: kind.status, verdict: kind.verdict, reason, identity: sandbox.identity, facts },
  };
}

/** The verdict when the supervisor cannot record what it allows: fail closed. */
export function unavailable(sandbox: SandboxContext, facts: RequestFacts | undefined, why: string): Refused {
  return proxyVerdict(
    sandbox,
    facts,
    { status: 503, verdict: 'unavailable', outcome: 'denied' },
    `Warden is failing closed: ${why}`,
  );
}
