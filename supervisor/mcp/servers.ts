// spec.mcp compiled: which requests go to an MCP server, and what its rules say about one
// call. Entries of the lower layers are consulted in the policy's precedence (session, project,
// preset, base; document order within a layer): the first rule whose glob matches decides,
// else the organisation's, else the default of the first matching entry that sets one (the
// organisation's when stricter), else ask. The organisation's rules are a floor: stricter
// than the lower layers' decision, or an ask IT answers, they decide.

import type { Action, LayerName, McpMethod, McpRuleRef, RequestFacts } from '../api/index.ts';
import type { McpServerSpec } from '../api/mcp-schema.ts';
import {
  type CompiledRule,
  compileNameGlob,
  compileRule,
  compileUriGlob,
  hostFacts,
  isStricter,
  normalizePath,
  type Policy,
  ruleMatches,
} from '../policy/index.ts';

export const BUILTIN_MCP_DEFAULT: Action = 'ask';

type ListName = 'tools' | 'resources' | 'prompts';

const LIST_OF: Record<McpMethod, ListName> = {
  'tools/call': 'tools',
  'resources/read': 'resources',
  'prompts/get': 'prompts',
};

interface CompiledMcpRule {
  regex: RegExp;
  ref: McpRuleRef;
  description?: string;
}

interface CompiledServer {
  layer: LayerName;
  source: string;
  index: number;
  spec: McpServerSpec;
  /** The entry's host and path as a network rule (its action unused). */
  where: CompiledRule;
  lists: Record<ListName, CompiledMcpRule[]>;
}

/** What spec.mcp decided about one call. */
export interface McpDecision {
  action: Action;
  rule: McpRuleRef | null;
  reason: string;
}

/** The MCP servers a sandbox's policy names, compiled once per Policy. */
export class McpServers {
  readonly #servers: CompiledServer[];

  private constructor(servers: CompiledServer[]) {
    this.#servers = servers;
  }

  static compile(policy: Policy): McpServers {
    const servers: CompiledServer[] = [];
    for (const layer of policy.layers) {
      (layer.document.spec.mcp?.servers ?? []).forEach((spec, index) => {
        const where = compileRule(
          { match: spec.match, action: 'allow', ...(spec.path ? { paths: [spec.path] } : {}) },
          { layer: layer.layer, source: layer.source, index },
        );
        const lists = {} as Record<ListName, CompiledMcpRule[]>;
        for (const list of ['tools', 'resources', 'prompts'] as const) {
          lists[list] = (spec[list] ?? []).map((rule, i) => {
            const pattern = 'uri' in rule ? rule.uri : rule.name;
            const regex = list === 'resources' ? compileUriGlob(pattern) : compileNameGlob(pattern);
            const ref: McpRuleRef = {
              layer: layer.layer,
              source: layer.source,
              server: index,
              list,
              index: i,
              pattern,
              action: rule.action,
            };
            if (rule.approver) ref.approver = rule.approver;
            return { regex, ref, ...(rule.description ? { description: rule.description } : {}) };
          });
        }
        servers.push({ layer: layer.layer, source: layer.source, index, spec, where, lists });
      });
    }
    return new McpServers(servers);
  }

  get empty(): boolean {
    return this.#servers.length === 0;
  }

  /** Does an entry name this host (any path)? Then its tunnels are read. */
  namesHost(host: string, port: number): boolean {
    if (this.#servers.length === 0) return false;
    let facts: ReturnType<typeof hostFacts>;
    try {
      facts = hostFacts(host);
    } catch {
      return false;
    }
    return this.#servers.some((s) =>
      ruleMatches(
        { ...s.where, paths: null, methods: null },
        { scheme: 'https', host: facts, port, method: 'POST', path: '/' },
      ),
    );
  }

  /** The MCP server this request goes to, or undefined when it is not one. */
  serverFor(facts: RequestFacts): McpServer | undefined {
    if (this.#servers.length === 0) return undefined;
    let host: ReturnType<typeof hostFacts>;
    try {
      host = hostFacts(facts.host);
    } catch {
      return undefined;
    }
    const ctx = {
      scheme: facts.scheme,
      host,
      port: facts.port,
      method: facts.method.toUpperCase(),
      path: normalizePath(facts.path).path,
    };
    const matching = this.#servers.filter((s) => ruleMatches(s.where, ctx));
    return matching.length === 0 ? undefined : new McpServer(matching, facts);
  }
}

/** The spec.mcp entries that govern one MCP endpoint. */
export class McpServer {
  /** The name approvals and audit use. */
  readonly name: string;
  readonly recordArguments: boolean;
  readonly #entries: CompiledServer[];

  constructor(entries: CompiledServer[], facts: RequestFacts) {
    this.#entries = entries;
    this.name = entries.find((e) => e.spec.name)?.spec.name ?? `${facts.host}${facts.path.split('?')[0]}`;
    this.recordArguments =
      entries.find((e) => e.spec.recordArguments !== undefined)?.spec.recordArguments ?? false;
  }

  /**
   * Decide a tools/call (tool name), resources/read (URI) or prompts/get (prompt name): the
   * lower layers' first matching rule, else the organisation's, else a default; then the
   * organisation's floor (its rule decides when it is stricter, and its IT ask stays IT's).
   */
  decide(method: McpMethod, name: string): McpDecision {
    const list = LIST_OF[method];
    const lower = this.#entries.filter((e) => e.layer !== 'organisation');
    const org = this.#entries.filter((e) => e.layer === 'organisation');
    const byOrg = this.#firstRule(org, list, method, name);
    const decision = this.#firstRule(lower, list, method, name) ?? byOrg ?? this.#byDefault(method, name);
    return byOrg ? mcpFloor(decision, byOrg) : decision;
  }

  #firstRule(
    entries: readonly CompiledServer[],
    list: ListName,
    method: McpMethod,
    name: string,
  ): McpDecision | null {
    for (const entry of entries) {
      for (const rule of entry.lists[list]) {
        if (!rule.regex.test(name)) continue;
        const why = rule.description ? ` (${rule.description})` : '';
        const who = rule.ref.approver === 'it' ? 'asks IT on the team hub about' : verb(rule.ref.action);
        return {
          action: rule.ref.action,
          rule: rule.ref,
          reason: `${describeMcpRule(rule.ref)}${why} ${who} ${method} "${name}" on MCP server ${this.name}`,
        };
      }
    }
    return null;
  }

  /** The most specific entry's default, unless the organisation's default is stricter. */
  #byDefault(method: McpMethod, name: string): McpDecision {
    const mine = this.#entries.find((e) => e.layer !== 'organisation' && e.spec.default !== undefined);
    const floor = this.#entries.find((e) => e.layer === 'organisation' && e.spec.default !== undefined);
    const withDefault =
      floor && (!mine || isStricter(floor.spec.default as Action, mine.spec.default as Action))
        ? floor
        : mine;
    const action = withDefault?.spec.default ?? BUILTIN_MCP_DEFAULT;
    const rule: McpRuleRef | null = withDefault
      ? { layer: withDefault.layer, source: withDefault.source, server: withDefault.index, action }
      : null;
    const from = withDefault
      ? `the default of MCP server ${withDefault.index + 1} in the ${withDefault.layer} layer (${withDefault.source})`
      : 'the built-in MCP default';
    return {
      action,
      rule,
      reason: `no spec.mcp rule names ${method} "${name}" on MCP server ${this.name}; ${from} is ${action}`,
    };
  }

  /** Is this entry of a list shown to the agent? Only what would be denied outright is hidden. */
  shows(list: ListName, name: string): boolean {
    const method = (Object.keys(LIST_OF) as McpMethod[]).find((m) => LIST_OF[m] === list) as McpMethod;
    return this.decide(method, name).action !== 'deny';
  }
}

/**
 * The organisation's floor on an MCP call, as on network requests (policy/organisation.ts):
 * its rule decides when stricter than the lower layers' decision, and an ask it sends to IT
 * stays IT's even when a lower layer asks about the same call itself.
 */
export function mcpFloor(lower: McpDecision, byOrg: McpDecision): McpDecision {
  if (lower.rule === byOrg.rule) return lower;
  if (byOrg.rule?.approver === 'it' && byOrg.action === 'ask' && lower.action === 'ask')
    return { ...byOrg, reason: `${byOrg.reason}; IT answers it, not a lower layer's approver` };
  if (!isStricter(byOrg.action, lower.action)) return lower;
  const by = lower.rule ? describeMcpRule(lower.rule) : 'the lower layers';
  return { ...byOrg, reason: `${byOrg.reason}; the organisation's rules cannot be weakened by ${by}` };
}

function verb(action: Action): string {
  return action === 'allow' ? 'allows' : action === 'deny' ? 'denies' : 'asks about';
}

/** `spec.mcp rule tools[2] of server 1 in the project layer (./policy.yaml, "delete_*")`. */
export function describeMcpRule(ref: McpRuleRef): string {
  const which = ref.list ? `rule ${ref.list}[${(ref.index ?? 0) + 1}] "${ref.pattern}"` : 'default';
  return `spec.mcp ${which} of server ${ref.server + 1} in the ${ref.layer} layer (${ref.source})`;
}

/** Compiled once per Policy (a Policy never changes; a new one replaces it). */
const compiled = new WeakMap<Policy, McpServers>();

export function mcpServersOf(policy: Policy): McpServers {
  let servers = compiled.get(policy);
  if (!servers) {
    servers = McpServers.compile(policy);
    compiled.set(policy, servers);
  }
  return servers;
}
