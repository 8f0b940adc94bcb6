// The policy engine's public face: parse and validate policy documents, resolve the layers of
// one sandbox into a Policy that decides requests, tunnels and addresses, explain and diff.

export type { PolicyDocument, RuleSpec } from '../api/policy-schema.ts';
export { POLICY_API_VERSION, PolicyDocumentSchema } from '../api/policy-schema.ts';
export type { AddressCategory } from './address.ts';
export { classifyAddress } from './address.ts';
export { type CompiledRule, compileRule, type MatchContext, ruleMatches } from './compiled-rule.ts';
export { diffPolicies, formatDiff } from './diff.ts';
export { emptyPolicy, prependRule, suggestRule, withoutRule } from './documents.ts';
export { hostFacts, normalizeHost } from './host-name.ts';
export type { HostPattern } from './host-pattern.ts';
export { matchHostPattern } from './host-pattern.ts';
export { POLICY_SCHEMA_PATH, policyJsonSchema, policyJsonSchemaText } from './json-schema.ts';
export { compileLinear, linearPatternProblem } from './linear-regexp.ts';
export type { ManagedPolicy } from './managed-file.ts';
export {
  defaultManagedDir,
  loadManagedPolicy,
  MANAGED_FILE_NAME,
  MAX_ORGANISATION_POLICY_BYTES,
  policyHash,
} from './managed-file.ts';
export type { ParsedMatch, PortRange } from './match-spec.ts';
export { formatMatch, parseMatch } from './match-spec.ts';
export { compileNameGlob, compileUriGlob } from './mcp-glob.ts';
export { findConflicts, isStricter, refuseWeakening, STRICTNESS, sampleRequest } from './organisation.ts';
export type { ParseResult, RuleLines } from './parse.ts';
export { formatPolicyError, loadPolicyFile, parsePolicy, stringifyPolicy } from './parse.ts';
export { normalizePath, pathAmbiguity } from './path.ts';
export type { AddressCheck, AddressNeedsRequest, PolicyLayer, TraceStep } from './policy.ts';
export { BUILTIN_APPROVAL_TIMEOUT_SECONDS, BUILTIN_DEFAULT_ACTION, Policy } from './policy.ts';
export type { ResolvedUpstream } from './upstreams.ts';
export { parseUpstreamMatch } from './upstreams.ts';
