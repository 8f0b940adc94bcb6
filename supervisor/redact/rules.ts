// spec.redact gathered over the policy's layers. Every layer's rules hold at once, so a lower
// layer cannot remove what the organisation's layer masks or blocks; for a detector named in
// several layers the strictest action wins (block over mask). Custom patterns are compiled
// once per policy (supervisor/policy/linear-regexp.ts: linear-time or refused at load).

import type { RedactAction, RedactDetector } from '../api/index.ts';
import { compileLinear, type Policy } from '../policy/index.ts';
import { builtinFinders, type VaultValues } from './detectors.ts';
import { type Finder, regexFinder } from './finders.ts';

export const DEFAULT_PATTERN_MAX_LENGTH = 256;

export interface RedactRules {
  /** Model API hosts named by spec.redact.hosts and spec.budgets.hosts (lower-case). */
  hosts: Set<string>;
  detectors: Map<RedactDetector, RedactAction>;
  custom: Finder[];
}

export function redactRulesOf(policy: Policy): RedactRules {
  const out: RedactRules = { hosts: new Set(), detectors: new Map(), custom: [] };
  for (const layer of policy.layers) {
    const spec = layer.document.spec;
    for (const h of spec.budgets?.hosts ?? []) out.hosts.add(h.toLowerCase());
    for (const h of spec.redact?.hosts ?? []) out.hosts.add(h.toLowerCase());
    for (const rule of spec.redact?.rules ?? []) {
      if (rule.detector) {
        if (out.detectors.get(rule.detector) !== 'block') out.detectors.set(rule.detector, rule.action);
      } else if (rule.pattern && rule.name) {
        const maxLength = rule.maxLength ?? DEFAULT_PATTERN_MAX_LENGTH;
        out.custom.push(regexFinder(rule.name, rule.action, maxLength, [compileLinear(rule.pattern)]));
      }
    }
  }
  return out;
}

/** True when the rules find nothing (no detector, no pattern). */
export function noRules(rules: RedactRules): boolean {
  return rules.detectors.size === 0 && rules.custom.length === 0;
}

/** Every finder of the rules, the vault's with its current values. */
export function findersOf(rules: RedactRules, vault: VaultValues): Finder[] {
  const out: Finder[] = [];
  for (const [detector, action] of rules.detectors) out.push(...builtinFinders(detector, action, vault));
  out.push(...rules.custom);
  return out;
}
