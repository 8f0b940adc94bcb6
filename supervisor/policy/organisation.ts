// The organisation layer's rule of precedence: lower layers may only narrow it. Its deny rules
// always win, a lower rule cannot turn its `ask` into `allow`, a lower default cannot be more
// permissive than its default, and a lower approval timeout cannot be longer than its own.
// Here: which action is stricter, the example request a lower rule stands for, the parts of a
// lower layer that contradict the organisation (ignored when loaded from a file, refused when
// sent as an edit), and the refusal that names them.

import { WardenError } from '../api/errors.ts';
import type { PolicyDocument, RuleSpec } from '../api/policy-schema.ts';
import type {
  Action,
  Decision,
  LayerName,
  OrganisationConflict,
  OrganisationOrigin,
  RequestFacts,
} from '../api/policy-types.ts';
import { DEFAULT_PORTS } from '../api/request-line.ts';
import { describeRule } from './compiled-rule.ts';
import { parseMatch } from './match-spec.ts';
import { mcpConflicts } from './organisation-mcp.ts';
import { settingConflicts } from './organisation-settings.ts';

/** allow < ask < deny: a lower layer may move a request to the right, never to the left. */
export const STRICTNESS: Record<Action, number> = { allow: 0, ask: 1, deny: 2 };

export function isStricter(a: Action, b: Action): boolean {
  return STRICTNESS[a] > STRICTNESS[b];
}

/** What a conflict check needs of a layer (the document and where it came from). */
export interface LayerLike {
  layer: LayerName;
  source: string;
  document: { spec: Pick<PolicyDocument['spec'], 'network' | 'mcp' | 'approvals' | 'packages' | 'budgets'> };
  origin?: OrganisationOrigin;
}

/**
 * The request a rule stands for: its host (a wildcard's sample name, a CIDR's network
 * address), its scheme and first port, its first method and its first path with the globs
 * filled in. Null for `*`, which stands for no particular request.
 */
export function sampleRequest(spec: RuleSpec): RequestFacts | null {
  const parsed = parseMatch(spec.match);
  if ('error' in parsed) return null;
  const pattern = parsed.host;
  let host: string;
  switch (pattern.kind) {
    case 'any':
      return null;
    case 'exact':
      host = pattern.host;
      break;
    case 'one-label':
    case 'any-depth':
      host = `sample.${pattern.suffix}`;
      break;
    default:
      host = parsed.hostText.split('/')[0] as string;
  }
  const scheme = parsed.scheme ?? 'https';
  const port = parsed.port?.from ?? DEFAULT_PORTS[scheme];
  const path = (spec.paths?.[0] ?? '/').replace(/\*\*/g, '').replace(/[*?]/g, 'x') || '/';
  return { scheme, host, port, method: spec.methods?.[0]?.toUpperCase() ?? 'GET', path };
}

/** `organisation policy /etc/warden/managed.yaml (hub serial 4, sha256:ab12…)`. */
export function describeOrganisation(org: LayerLike): string {
  const o = org.origin;
  if (!o) return `organisation policy ${org.source}`;
  const serial = o.serial !== undefined ? `serial ${o.serial}, ` : '';
  return `organisation policy ${org.source} (${serial}${o.hash.slice(0, 19)}…, signed by ${o.signedBy})`;
}

/**
 * The parts of a lower layer that would weaken the organisation: a default more permissive
 * than its default, an approval timeout longer than its timeout, its MCP rules relaxed
 * (organisation-mcp.ts), its package, reviewer and price settings relaxed
 * (organisation-settings.ts), and each rule whose request
 * the organisation's rules decide more strictly than the rule does (a rule that only
 * partly overlaps an organisation rule is kept: the organisation rule still wins there).
 */
export function findConflicts(
  org: LayerLike,
  decideByOrg: (facts: RequestFacts) => Decision,
  lower: LayerLike,
): OrganisationConflict[] {
  const out: OrganisationConflict[] = [];
  const at = { layer: lower.layer, source: lower.source };
  const name = describeOrganisation(org);
  const orgDefault = org.document.spec.network?.default;
  const lowerDefault = lower.document.spec.network?.default;
  if (orgDefault && lowerDefault && isStricter(orgDefault, lowerDefault)) {
    out.push({
      ...at,
      path: 'spec.network.default',
      organisationRule: `spec.network.default: ${orgDefault} of the ${name}`,
      message: `the default ${lowerDefault} is more permissive than the organisation's default ${orgDefault}, which lower layers may only narrow`,
    });
  }
  const orgTimeout = org.document.spec.approvals?.timeoutSeconds;
  const lowerTimeout = lower.document.spec.approvals?.timeoutSeconds;
  if (orgTimeout !== undefined && lowerTimeout !== undefined && lowerTimeout > orgTimeout) {
    out.push({
      ...at,
      path: 'spec.approvals.timeoutSeconds',
      organisationRule: `spec.approvals.timeoutSeconds: ${orgTimeout} of the ${name}`,
      message: `an approval timeout of ${lowerTimeout} s is longer than the organisation's ${orgTimeout} s, which lower layers may only shorten`,
    });
  }
  (lower.document.spec.network?.rules ?? []).forEach((rule, index) => {
    const sample = sampleRequest(rule);
    if (!sample) return;
    const byOrg = decideByOrg(sample);
    if (!byOrg.rule || !isStricter(byOrg.action, rule.action)) return;
    out.push({
      ...at,
      path: `spec.network.rules[${index}]`,
      organisationRule: describeRule(byOrg.rule),
      message:
        `rule ${index + 1} (${JSON.stringify(rule.match)} ${rule.action}) would ${rule.action} what ` +
        `${describeRule(byOrg.rule)} ${byOrg.action === 'deny' ? 'denies' : 'sends to a human'}; lower layers may only narrow it`,
    });
  });
  out.push(...mcpConflicts(org.document.spec.mcp, lower.document.spec.mcp, at, name));
  out.push(...settingConflicts(org.document.spec, { ...lower.document.spec, ...at }, name));
  return out;
}

/** The refusal of an edit that would weaken the organisation, naming every conflict. */
export function refuseWeakening(conflicts: readonly OrganisationConflict[], what: string): WardenError {
  const first = conflicts[0] as OrganisationConflict;
  const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : '';
  return new WardenError(
    'PolicyLockedByOrganisation',
    `${what} was refused: ${first.path}: ${first.message}${more}`,
    `the organisation fixed this (${first.organisationRule}); ask your IT administrator to change it, or edit only what narrows it`,
    { conflicts: [...conflicts] },
  );
}

/**
 * The organisation's floor on a decision: when one of its rules decides the request more
 * strictly than the lower layers did, that rule decides.
 */
export function floorDecision(lower: Decision, byOrg: Decision): Decision {
  // An ask the organisation sends to IT stays IT's, whoever else asks about the same request.
  if (
    byOrg.rule?.approver === 'it' &&
    byOrg.action === 'ask' &&
    lower.action === 'ask' &&
    lower.rule !== byOrg.rule
  )
    return { ...byOrg, reason: `${byOrg.reason}; IT answers it, not a lower layer's approver` };
  if (!byOrg.rule || !isStricter(byOrg.action, lower.action)) return lower;
  const by = lower.rule ? describeRule(lower.rule) : 'the lower layers';
  return { ...byOrg, reason: `${byOrg.reason}; the organisation's rules cannot be weakened by ${by}` };
}
