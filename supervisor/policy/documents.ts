// Building policy documents in code: the empty session layer, adding an "always" answer, and
// the rule a human would accept for a request they approved.

import { POLICY_API_VERSION, type PolicyDocument, type RuleSpec } from '../api/policy-schema.ts';
import type { RequestFacts } from '../api/policy-types.ts';
import { DEFAULT_PORTS } from '../api/request-line.ts';
import { normalizeHost } from './host-name.ts';
import { normalizePath } from './path.ts';

export function emptyPolicy(name: string): PolicyDocument {
  return {
    apiVersion: POLICY_API_VERSION,
    kind: 'Policy',
    metadata: { name },
    spec: { network: { rules: [] } },
  };
}

function sameList(
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
  fold: boolean,
): boolean {
  const norm = (l: readonly string[] | undefined) =>
    l === undefined
      ? ''
      : [...l]
          .map((s) => (fold ? s.toUpperCase() : s))
          .sort()
          .join('\n');
  return (a === undefined) === (b === undefined) && norm(a) === norm(b);
}

/** Same destination and conditions (match, methods, paths); action and description may differ. */
export function sameRuleIdentity(a: RuleSpec, b: RuleSpec): boolean {
  return a.match === b.match && sameList(a.methods, b.methods, true) && sameList(a.paths, b.paths, false);
}

/**
 * A new document with `rule` first (newer session answers win). An older rule with the same
 * match, methods and paths is dropped: the new one would shadow it anyway.
 */
export function prependRule(doc: PolicyDocument, rule: RuleSpec): PolicyDocument {
  const copy = structuredClone(doc);
  const rules = (copy.spec.network?.rules ?? []).filter((r) => !sameRuleIdentity(r, rule));
  copy.spec.network = { ...copy.spec.network, rules: [structuredClone(rule), ...rules] };
  return copy;
}

/**
 * A new document without the first rule that has `rule`'s match, methods, paths and action
 * (a revoked "always" answer), or null when there is none: it was replaced or removed.
 */
export function withoutRule(doc: PolicyDocument, rule: RuleSpec): PolicyDocument | null {
  const rules = doc.spec.network?.rules ?? [];
  const at = rules.findIndex((r) => r.action === rule.action && sameRuleIdentity(r, rule));
  if (at < 0) return null;
  const copy = structuredClone(doc);
  copy.spec.network = {
    ...copy.spec.network,
    rules: rules.filter((_r, i) => i !== at).map((r) => structuredClone(r)),
  };
  return copy;
}

/**
 * The rule an "always" answer adds: the exact host (with `:port` when not the scheme's
 * default), the method, and the first two path segments + `/**` (the exact path when shorter).
 */
export function suggestRule(facts: RequestFacts): { match: string; methods: string[]; paths: string[] } {
  const host = normalizeHost(facts.host);
  const hostText = host.includes(':') ? `[${host}]` : host;
  const match = facts.port === DEFAULT_PORTS[facts.scheme] ? host : `${hostText}:${facts.port}`;
  const path = normalizePath(facts.path).path;
  const segments = path.split('/').slice(1);
  const glob = segments.length > 2 ? `/${segments[0]}/${segments[1]}/**` : path;
  return { match, methods: [facts.method.toUpperCase()], paths: [glob] };
}
