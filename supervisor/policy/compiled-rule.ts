// A rule compiled once at resolve time: its parsed match, method set and path regexes, so that
// deciding a request is a handful of comparisons. `whyNot` gives the same answer as `matches`
// in words, for `explain`.

import type { RuleSpec } from '../api/policy-schema.ts';
import type { Action, LayerName, RuleRef, Scheme } from '../api/policy-types.ts';
import type { HostFacts } from './host-name.ts';
import { isAddressPattern, matchHost } from './host-pattern.ts';
import { formatMatch, type ParsedMatch, parseMatch } from './match-spec.ts';
import { compilePathGlob, type PathGlob } from './path.ts';

export interface CompiledRule {
  ref: RuleRef;
  tls?: 'inspect' | 'passthrough';
  parsed: ParsedMatch;
  /** Upper-case methods; null = any. */
  methods: ReadonlySet<string> | null;
  paths: readonly PathGlob[] | null;
  /** The pattern names addresses (IP literal or CIDR), so it is consulted after DNS. */
  namesAddress: boolean;
  /** The pattern is exactly `localhost`, which also names loopback addresses for that host. */
  isLocalhost: boolean;
}

/** A request as the compiled rules see it: host classified, method upper-case, path normalized. */
export interface MatchContext {
  scheme: Scheme;
  host: HostFacts;
  port: number;
  method: string;
  path: string;
}

export function compileRule(
  spec: RuleSpec,
  where: { layer: LayerName; source: string; index: number; line?: number },
): CompiledRule {
  const parsed = parseMatch(spec.match);
  const label = `rule ${where.index + 1} of the ${where.layer} layer (${where.source})`;
  if ('error' in parsed) throw new Error(`${label}: match "${spec.match}": ${parsed.error}`);
  let paths: PathGlob[] | null = null;
  if (spec.paths) {
    try {
      paths = spec.paths.map(compilePathGlob);
    } catch (error) {
      throw new Error(`${label}: ${(error as Error).message}`);
    }
  }
  const ref: RuleRef = {
    layer: where.layer,
    source: where.source,
    index: where.index,
    match: spec.match,
    action: spec.action,
  };
  if (where.line !== undefined && where.line > 0) ref.line = where.line;
  if (spec.methods) ref.methods = [...spec.methods];
  if (spec.paths) ref.paths = [...spec.paths];
  if (spec.upgrades) ref.upgrades = [...spec.upgrades];
  if (spec.approver) ref.approver = spec.approver;
  if (spec.description !== undefined) ref.description = spec.description;
  const rule: CompiledRule = {
    ref,
    parsed,
    methods: spec.methods ? new Set(spec.methods.map((m) => m.toUpperCase())) : null,
    paths,
    namesAddress: isAddressPattern(parsed.host),
    isLocalhost: parsed.host.kind === 'exact' && parsed.host.host === 'localhost',
  };
  if (spec.tls) rule.tls = spec.tls;
  return rule;
}

export function portMatches(rule: CompiledRule, port: number): boolean {
  const range = rule.parsed.port;
  return range === undefined || (port >= range.from && port <= range.to);
}

/** Does the rule apply to this request? The hot path: no allocation. */
export function ruleMatches(rule: CompiledRule, ctx: MatchContext): boolean {
  if (rule.parsed.scheme !== undefined && rule.parsed.scheme !== ctx.scheme) return false;
  if (!portMatches(rule, ctx.port)) return false;
  if (!matchHost(rule.parsed.host, ctx.host)) return false;
  if (rule.methods !== null && !rule.methods.has(ctx.method)) return false;
  if (rule.paths !== null) {
    for (const glob of rule.paths) if (glob.regex.test(ctx.path)) return true;
    return false;
  }
  return true;
}

/** The rule has conditions only a request can answer (method, path, or a scheme other than https). */
export function needsRequest(rule: CompiledRule): boolean {
  const scheme = rule.parsed.scheme;
  return rule.methods !== null || rule.paths !== null || (scheme !== undefined && scheme !== 'https');
}

/**
 * Which of the rule's request conditions (scheme, method, path) the request does not meet, in
 * words; null when it meets them all. `method` upper-case, `path` normalized.
 */
export function unmetCondition(
  rule: CompiledRule,
  request: { scheme: Scheme; method: string; path: string },
): string | null {
  if (rule.parsed.scheme !== undefined && rule.parsed.scheme !== request.scheme) {
    return `scheme ${request.scheme} is not ${rule.parsed.scheme}`;
  }
  if (rule.methods !== null && !rule.methods.has(request.method)) {
    return `method ${request.method} not in ${[...rule.methods].join(',')}`;
  }
  if (rule.paths !== null && !rule.paths.some((glob) => glob.regex.test(request.path))) {
    return `path ${request.path} matches none of ${rule.paths.map((g) => g.source).join(', ')}`;
  }
  return null;
}

function portText(rule: CompiledRule): string {
  const range = rule.parsed.port;
  if (!range) return 'any';
  return range.from === range.to ? String(range.from) : `${range.from}-${range.to}`;
}

/** Why the rule does not apply (null when it does). Agrees with ruleMatches. */
export function whyNot(rule: CompiledRule, ctx: MatchContext): string | null {
  const pattern = rule.parsed.hostText;
  if (!matchHost(rule.parsed.host, ctx.host)) {
    let extra = '';
    if (ctx.host.ip !== null && !rule.namesAddress)
      extra = ' (an address only matches address or CIDR patterns)';
    if (ctx.host.ip === null && rule.namesAddress) extra = ' (a host name never matches an address pattern)';
    if (rule.parsed.host.kind === 'one-label') extra = ' ("*." matches exactly one label)';
    if (rule.parsed.host.kind === 'any-depth') extra = ' ("**." needs at least one label before the suffix)';
    return `host "${ctx.host.host}" does not match "${pattern}"${extra}`;
  }
  if (rule.parsed.scheme !== undefined && rule.parsed.scheme !== ctx.scheme) {
    return `scheme ${ctx.scheme} is not ${rule.parsed.scheme}`;
  }
  if (!portMatches(rule, ctx.port)) return `port ${ctx.port} is not ${portText(rule)}`;
  if (rule.methods !== null && !rule.methods.has(ctx.method)) {
    return `method ${ctx.method} not in ${[...rule.methods].join(',')}`;
  }
  if (rule.paths !== null && !rule.paths.some((glob) => glob.regex.test(ctx.path))) {
    return `path ${ctx.path} matches none of ${rule.paths.map((g) => g.source).join(', ')}`;
  }
  return null;
}

/** Why the rule applies, in words (for the trace of a matching rule). */
export function whyMatch(rule: CompiledRule, ctx: MatchContext): string {
  const parts = [`host "${ctx.host.host}" matches "${rule.parsed.hostText}"`];
  if (rule.parsed.scheme) parts.push(`scheme ${ctx.scheme}`);
  if (rule.parsed.port) parts.push(`port ${ctx.port} is ${portText(rule)}`);
  if (rule.methods) parts.push(`method ${ctx.method} in ${[...rule.methods].join(',')}`);
  if (rule.paths) {
    const glob = rule.paths.find((g) => g.regex.test(ctx.path));
    parts.push(`path ${ctx.path} matches ${glob?.source ?? '?'}`);
  }
  return parts.join(', ');
}

const VERBS: Record<Action, string> = { allow: 'allows it', deny: 'denies it', ask: 'asks a human' };

export function actionVerb(action: Action): string {
  return VERBS[action];
}

/** `project policy ./policy.yaml`, `session answers`. */
export function describeLayer(layer: LayerName, source: string): string {
  return layer === 'session' && source === 'session' ? 'the session answers' : `${layer} policy ${source}`;
}

/** `rule 2 of project policy ./policy.yaml (line 14: "*.github.com" GET,POST /repos/**)`. */
export function describeRule(ref: RuleRef): string {
  let text = DESCRIBED.get(ref);
  if (text === undefined) {
    const conditions = [JSON.stringify(ref.match)];
    if (ref.methods) conditions.push(ref.methods.join(','));
    if (ref.paths) conditions.push(ref.paths.join(','));
    const where = ref.line !== undefined ? `line ${ref.line}: ` : '';
    text = `rule ${ref.index + 1} of ${describeLayer(ref.layer, ref.source)} (${where}${conditions.join(' ')})`;
    DESCRIBED.set(ref, text);
  }
  return text;
}

/**
 * Each rule's description, made once: every decision's reason names its rule. A RuleRef is
 * not changed once compileRule has built it (a changed rule is compiled anew).
 */
const DESCRIBED = new WeakMap<RuleRef, string>();

/** Canonical text of the rule's destination (for suggestions and diffs). */
export function canonicalMatch(rule: CompiledRule): string {
  return formatMatch(rule.parsed);
}
