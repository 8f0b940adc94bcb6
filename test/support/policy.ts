// Helpers for the policy engine's tests: a document from rules, a project-layer Policy, and
// the facts of a request from its URL.

import type { PolicyDocument, RuleSpec } from '../../supervisor/api/policy-schema.ts';
import type { RequestFacts } from '../../supervisor/api/policy-types.ts';
import { emptyPolicy } from '../../supervisor/policy/documents.ts';
import { Policy } from '../../supervisor/policy/policy.ts';

export function doc(
  rules: RuleSpec[],
  spec: { default?: 'allow' | 'deny' | 'ask'; timeout?: number } = {},
): PolicyDocument {
  const d = emptyPolicy('test');
  d.spec.network = { rules, ...(spec.default ? { default: spec.default } : {}) };
  if (spec.timeout) d.spec.approvals = { timeoutSeconds: spec.timeout };
  return d;
}

export function project(
  rules: RuleSpec[],
  spec: { default?: 'allow' | 'deny' | 'ask'; timeout?: number } = {},
): Policy {
  return Policy.resolve([{ layer: 'project', source: './policy.yaml', document: doc(rules, spec) }]);
}

export function req(url: string, method = 'GET'): RequestFacts {
  const u = new URL(url);
  const scheme = u.protocol.slice(0, -1) as RequestFacts['scheme'];
  const port = u.port ? Number(u.port) : scheme === 'https' || scheme === 'wss' ? 443 : 80;
  return { scheme, host: u.hostname, port, method, path: u.pathname };
}
