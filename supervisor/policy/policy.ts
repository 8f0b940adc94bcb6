// The resolved policy of one sandbox: its layers (session, project, preset, base, then the
// organisation's) flattened into one ordered rule list, compiled once, then asked about
// requests, tunnels and addresses. The organisation layer is also a floor (organisation.ts):
// when one of its rules is stricter than what the lower layers decided, it decides.

import type { PolicyDocument, ReviewerSpec } from '../api/policy-schema.ts';
import type {
  Action,
  Decision,
  LayerName,
  OrganisationOrigin,
  OrganisationView,
  RequestFacts,
  ResolvedPolicyView,
  ResolvedRuleView,
  RuleRef,
} from '../api/policy-types.ts';
import { type AddressCheck, type AddressNeedsRequest, checkAddressWith } from './address-check.ts';

export type { AddressCheck, AddressNeedsRequest } from './address-check.ts';

import {
  actionVerb,
  type CompiledRule,
  compileRule,
  describeLayer,
  describeRule,
  type MatchContext,
  needsRequest,
  portMatches,
  ruleMatches,
  whyMatch,
  whyNot,
} from './compiled-rule.ts';
import { type HostFacts, hostFacts } from './host-name.ts';
import { matchHost } from './host-pattern.ts';
import { findConflicts, floorDecision, isStricter } from './organisation.ts';
import { fixedSettings } from './organisation-settings.ts';
import type { RuleLines } from './parse.ts';
import { normalizePath } from './path.ts';
import { RuleIndex } from './rule-index.ts';
import { collectUpstreams, findUpstream, type ResolvedUpstream } from './upstreams.ts';

export interface PolicyLayer {
  layer: LayerName;
  source: string;
  document: PolicyDocument;
  lines?: RuleLines;
  /** The organisation layer's provenance (hub or managed file, hash, signer). */
  origin?: OrganisationOrigin;
}

export interface TraceStep {
  rule: RuleRef;
  matched: boolean;
  why: string;
}

export const BUILTIN_DEFAULT_ACTION: Action = 'ask';
export const BUILTIN_APPROVAL_TIMEOUT_SECONDS = 120;

const PRECEDENCE: Record<LayerName, number> = { session: 0, project: 1, preset: 2, base: 3, organisation: 4 };
const HOST_CACHE_LIMIT = 1024;

/** A request host, classified, with the rules that may match it (RuleIndex), found once. */
type HostLookup =
  | { ok: true; facts: HostFacts; candidates: readonly number[] }
  | { ok: false; error: string };

export class Policy {
  readonly layers: readonly PolicyLayer[];
  readonly rules: readonly CompiledRule[];
  readonly defaultAction: Action;
  readonly defaultSource: LayerName | 'builtin';
  readonly approvalTimeoutSeconds: number;
  /** The reviewer hook set in policy: the organisation's, else the most specific layer's. */
  readonly reviewer: { spec: ReviewerSpec; layer: LayerName; source: string } | undefined;
  private readonly defaultLabel: string;
  /** Normalized request hosts, bounded; belongs to this instance only. */
  private readonly hostCache = new Map<string, HostLookup>();
  private readonly index: RuleIndex;
  /** `spec.network.upstreams` of every layer, most specific first. */
  readonly upstreams: readonly ResolvedUpstream[];
  /** The organisation's rules alone (its floor), when it has a layer. */
  private readonly org: Policy | null;

  private constructor(layers: PolicyLayer[], floor = true) {
    this.layers = layers;
    const orgLayers = layers.filter((l) => l.layer === 'organisation');
    this.org = floor && orgLayers.length > 0 ? new Policy(orgLayers, false) : null;
    const rules: CompiledRule[] = [];
    for (const layer of layers) {
      const specs = layer.document.spec.network?.rules ?? [];
      specs.forEach((spec, index) => {
        const line = layer.lines?.[index];
        rules.push(
          compileRule(spec, { layer: layer.layer, source: layer.source, index, ...(line ? { line } : {}) }),
        );
      });
    }
    this.rules = rules;
    this.index = new RuleIndex(rules);
    this.upstreams = collectUpstreams(layers);
    // The most specific layer's default, unless the organisation's is stricter.
    let withDefault = layers.find((l) => l.document.spec.network?.default !== undefined);
    const orgDefault = orgLayers.find((l) => l.document.spec.network?.default !== undefined);
    const defaultOf = (l: PolicyLayer) => l.document.spec.network?.default as Action;
    if (withDefault && orgDefault && isStricter(defaultOf(orgDefault), defaultOf(withDefault))) {
      withDefault = orgDefault;
    }
    this.defaultAction = withDefault ? defaultOf(withDefault) : BUILTIN_DEFAULT_ACTION;
    this.defaultSource = withDefault?.layer ?? 'builtin';
    this.defaultLabel = withDefault ? describeLayer(withDefault.layer, withDefault.source) : 'builtin';
    // The most specific layer's timeout, at most the organisation's.
    const timeoutOf = (l: PolicyLayer | undefined) => l?.document.spec.approvals?.timeoutSeconds;
    const timeout =
      timeoutOf(layers.find((l) => timeoutOf(l) !== undefined)) ?? BUILTIN_APPROVAL_TIMEOUT_SECONDS;
    const orgTimeout = timeoutOf(orgLayers.find((l) => timeoutOf(l) !== undefined));
    this.approvalTimeoutSeconds = orgTimeout !== undefined ? Math.min(timeout, orgTimeout) : timeout;
    // A lower layer cannot remove or replace the organisation's hook.
    const hookOf = (l: PolicyLayer) => l.document.spec.approvals?.reviewer;
    const withHook = orgLayers.find((l) => hookOf(l)) ?? layers.find((l) => hookOf(l));
    this.reviewer = withHook
      ? { spec: hookOf(withHook) as ReviewerSpec, layer: withHook.layer, source: withHook.source }
      : undefined;
  }

  /**
   * Resolve layers into one policy. First match wins over session rules, then project rules,
   * then base rules (document order within a layer). Default action and approval timeout come
   * from the most specific layer that sets them (else ask / 120 s). Throws when a rule cannot
   * be compiled (documents from parsePolicy always compile).
   */
  static resolve(layers: PolicyLayer[]): Policy {
    const ordered = layers
      .map((layer, i) => ({ layer, i }))
      .sort((a, b) => PRECEDENCE[a.layer.layer] - PRECEDENCE[b.layer.layer] || a.i - b.i)
      .map(({ layer }) => layer);
    return new Policy(ordered);
  }

  private lookupHost(host: string): HostLookup {
    let found = this.hostCache.get(host);
    if (found) return found;
    try {
      const facts = hostFacts(host);
      found = { ok: true, facts, candidates: this.index.candidates(facts) };
    } catch (error) {
      found = { ok: false, error: (error as Error).message };
    }
    if (this.hostCache.size >= HOST_CACHE_LIMIT) this.hostCache.clear();
    this.hostCache.set(host, found);
    return found;
  }

  private context(
    facts: RequestFacts,
  ): (MatchContext & { candidates: readonly number[] }) | { error: string } {
    const host = this.lookupHost(facts.host);
    if (!host.ok) return { error: host.error };
    return {
      candidates: host.candidates,
      scheme: facts.scheme,
      host: host.facts,
      port: facts.port,
      method: facts.method.toUpperCase(),
      path: normalizePath(facts.path).path,
    };
  }

  private invalidHost(error: string): Decision {
    return { action: 'deny', rule: null, reason: `${error}; a request to an invalid host is always denied` };
  }

  private byRule(rule: CompiledRule): Decision {
    const decision: Decision = {
      action: rule.ref.action,
      rule: rule.ref,
      reason: `${describeRule(rule.ref)} ${rule.ref.approver === 'it' ? 'asks IT on the team hub' : actionVerb(rule.ref.action)}`,
    };
    // A denial says why in the rule's own words first ("cluster prod-eu is read-only for agents").
    if (rule.ref.action === 'deny' && rule.ref.description)
      decision.reason = `${rule.ref.description} (${decision.reason})`;
    if (rule.tls) decision.tls = rule.tls;
    return decision;
  }

  private byDefault(): Decision {
    const from = this.defaultSource === 'builtin' ? '' : ` (set by ${this.defaultLabel})`;
    return {
      action: this.defaultAction,
      rule: null,
      reason: `no rule matches; the default is ${this.defaultAction}${from}`,
    };
  }

  /** How the proxy reaches `host`:`port` over TLS when a layer names it (its CA, its client certificate). */
  upstreamFor(host: string, port: number): ResolvedUpstream | undefined {
    return this.upstreams.length === 0 ? undefined : findUpstream(this.upstreams, host, port);
  }

  /** Decide one request: the first matching rule, else the default; then the organisation's floor. */
  decideRequest(facts: RequestFacts): Decision {
    const decision = this.firstMatch(facts);
    return this.org ? floorDecision(decision, this.org.decideRequest(facts)) : decision;
  }

  private firstMatch(facts: RequestFacts): Decision {
    const ctx = this.context(facts);
    if ('error' in ctx) return this.invalidHost(ctx.error);
    for (const i of ctx.candidates) {
      const rule = this.rules[i] as CompiledRule;
      if (ruleMatches(rule, ctx)) return this.byRule(rule);
    }
    return this.byDefault();
  }

  /**
   * Does the request's path take part in its decision? True when a rule with paths is
   * consulted for it: one whose scheme, port, method and host match before a rule without
   * paths decides, or one naming addresses (the check after DNS consults those whatever the
   * name). When true, a path servers could read differently must not be guessed at.
   */
  pathDecides(facts: RequestFacts): boolean {
    if (this.org?.pathDecides(facts)) return true;
    const ctx = this.context(facts);
    if ('error' in ctx) return false;
    let decided = false;
    // Rules left out by the index match neither the host nor name addresses: they add nothing.
    for (const i of ctx.candidates) {
      const rule = this.rules[i] as CompiledRule;
      if (rule.parsed.scheme !== undefined && rule.parsed.scheme !== ctx.scheme) continue;
      if (!portMatches(rule, ctx.port)) continue;
      if (rule.methods !== null && !rule.methods.has(ctx.method)) continue;
      const host = matchHost(rule.parsed.host, ctx.host);
      if (rule.paths !== null && (rule.namesAddress || (host && (!decided || rule.isLocalhost)))) return true;
      if (rule.paths === null && host) decided = true;
    }
    return false;
  }

  /**
   * Decide a CONNECT tunnel knowing only host and port. The first rule whose host and port
   * match decides if it has no method, path or scheme condition (a scheme condition of exactly
   * https also decides); a rule with such conditions makes the answer depend on the request
   * inside the tunnel (needsRequest). No match: the default.
   */
  decideConnect(host: string, port: number): Decision | { needsRequest: true; reason: string } {
    const decision = this.connectMatch(host, port);
    if (!this.org || ('action' in decision && decision.action === 'deny')) return decision;
    const byOrg = this.org.decideConnect(host, port);
    if ('needsRequest' in byOrg) return byOrg;
    if ('needsRequest' in decision) return byOrg.rule && byOrg.action === 'deny' ? byOrg : decision;
    return floorDecision(decision, byOrg);
  }

  private connectMatch(host: string, port: number): Decision | { needsRequest: true; reason: string } {
    const found = this.lookupHost(host);
    if (!found.ok) return this.invalidHost(found.error);
    for (const i of found.candidates) {
      const rule = this.rules[i] as CompiledRule;
      if (!portMatches(rule, port) || !matchHost(rule.parsed.host, found.facts)) continue;
      const scheme = rule.parsed.scheme;
      if (!needsRequest(rule)) return this.byRule(rule);
      const conditions = [
        ...(scheme ? ['scheme'] : []),
        ...(rule.methods ? ['method'] : []),
        ...(rule.paths ? ['path'] : []),
      ].join(' and ');
      return {
        needsRequest: true,
        reason: `${describeRule(rule.ref)} depends on the ${conditions}, so the request inside the tunnel decides`,
      };
    }
    return this.byDefault();
  }

  /**
   * Check the address a request is about to connect to (after DNS). Only rules that name
   * addresses (IP or CIDR) are consulted, plus a `localhost` rule for loopback addresses when
   * the requested host is `localhost`; such a rule applies whole, as in decideRequest: its
   * port, scheme, methods and paths must all match the request (a rule for `GET /api/**` on an
   * address names it for nothing else). Non-public addresses are denied unless such a rule
   * allows (or asks); public addresses are allowed unless such a rule denies. (A tunnel, whose
   * requests are not known yet: checkTunnelAddress.)
   */
  checkAddress(address: string, facts: RequestFacts): AddressCheck {
    return this.flooredAddress(address, facts, false) as AddressCheck;
  }

  /** checkTunnelAddress for a CONNECT tunnel to `host`:`port`, whose requests are not known yet. */
  checkTunnelAddress(address: string, host: string, port: number): AddressCheck | AddressNeedsRequest {
    return this.flooredAddress(address, { scheme: 'https', host, port, method: 'CONNECT', path: '' }, true);
  }

  private flooredAddress(address: string, facts: RequestFacts, tunnel: boolean) {
    const check = this.addressCheck(address, facts, tunnel);
    if (!this.org || ('action' in check && check.action === 'deny')) return check;
    const byOrg = this.org.addressCheck(address, facts, tunnel);
    if ('needsRequest' in byOrg) return byOrg;
    if ('needsRequest' in check || !byOrg.rule || !isStricter(byOrg.action, check.action)) return check;
    return { ...byOrg, reason: `${byOrg.reason} (organisation policy)` };
  }

  private addressCheck(
    address: string,
    facts: RequestFacts,
    tunnel: boolean,
  ): AddressCheck | AddressNeedsRequest {
    return checkAddressWith(this.rules, (h) => this.lookupHost(h), address, facts, tunnel);
  }

  /** Decide a request and say, rule by rule up to the deciding one, why each did or did not apply. */
  explain(facts: RequestFacts): { decision: Decision; trace: TraceStep[] } {
    const found = this.explainLayers(facts);
    if (!this.org) return found;
    const decision = floorDecision(found.decision, this.org.decideRequest(facts));
    if (decision === found.decision || !decision.rule) return found;
    const why = 'the organisation policy decides more strictly, and lower layers may only narrow it';
    return { decision, trace: [...found.trace, { rule: decision.rule, matched: true, why }] };
  }

  private explainLayers(facts: RequestFacts): { decision: Decision; trace: TraceStep[] } {
    const ctx = this.context(facts);
    if ('error' in ctx) return { decision: this.invalidHost(ctx.error), trace: [] };
    const trace: TraceStep[] = [];
    for (const rule of this.rules) {
      const reason = whyNot(rule, ctx);
      if (reason === null) {
        trace.push({ rule: rule.ref, matched: true, why: whyMatch(rule, ctx) });
        return { decision: this.byRule(rule), trace };
      }
      trace.push({ rule: rule.ref, matched: false, why: reason });
    }
    return { decision: this.byDefault(), trace };
  }

  /** The fully resolved policy, most specific rule first. */
  view(): ResolvedPolicyView {
    return {
      rules: this.rules.map(
        (rule): ResolvedRuleView => (rule.tls ? { ...rule.ref, tls: rule.tls } : { ...rule.ref }),
      ),
      defaultAction: this.defaultAction,
      defaultSource: this.defaultSource,
      approvalTimeoutSeconds: this.approvalTimeoutSeconds,
      layers: this.layers.map((l) => ({
        layer: l.layer,
        source: l.source,
        name: l.document.metadata.name,
        rules: l.document.spec.network?.rules?.length ?? 0,
      })),
      ...(this.org ? { organisation: this.organisationView(this.org) } : {}),
    };
  }

  /** The parts of the lower layers the organisation overrides (ignored), with why. */
  private organisationView(org: Policy): OrganisationView {
    const layer = org.layers[0] as PolicyLayer;
    const spec = layer.document.spec;
    const decide = (f: RequestFacts) => org.decideRequest(f);
    const ignored = this.layers
      .filter((l) => l.layer !== 'organisation')
      .flatMap((l) => findConflicts(layer, decide, l));
    const view: OrganisationView = { source: layer.source, rules: org.rules.length, ignored };
    if (layer.origin) view.origin = layer.origin;
    if (spec.network?.default) view.defaultAction = spec.network.default;
    if (spec.approvals?.timeoutSeconds !== undefined)
      view.approvalTimeoutSeconds = spec.approvals.timeoutSeconds;
    const settings = fixedSettings(spec);
    if (settings.length) view.settings = settings;
    return view;
  }
}
