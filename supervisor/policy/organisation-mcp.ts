// The organisation's spec.mcp rules as conflicts: a lower layer's rule (or server default)
// for the same server that the organisation decides more strictly is listed as ignored when a
// file loads and refused as an edit, naming the organisation's rule. Enforcement is the floor
// in mcp/servers.ts; this says which lower parts do not count. A server is the same when its
// `match` and `path` are written the same; a lower rule stands for the name (or URI) its glob
// gives with each wildcard filled in, as a network rule stands for its sample request.

import type { McpServerSpec, McpSpec } from '../api/mcp-schema.ts';
import type { Action, LayerName, OrganisationConflict } from '../api/policy-types.ts';
import { compileNameGlob, compileUriGlob } from './mcp-glob.ts';

const STRICTNESS: Record<Action, number> = { allow: 0, ask: 1, deny: 2 };
const isStricter = (a: Action, b: Action) => STRICTNESS[a] > STRICTNESS[b];

const LISTS = ['tools', 'prompts', 'resources'] as const;
type ListName = (typeof LISTS)[number];
type Rule = { pattern: string; action: Action; index: number };

function rulesOf(server: McpServerSpec, list: ListName): Rule[] {
  if (list === 'resources')
    return (server.resources ?? []).map((r, index) => ({ pattern: r.uri, action: r.action, index }));
  return (server[list] ?? []).map((r, index) => ({ pattern: r.name, action: r.action, index }));
}

const sameServer = (a: McpServerSpec, b: McpServerSpec) =>
  a.match.toLowerCase() === b.match.toLowerCase() && (a.path ?? '') === (b.path ?? '');

/** The lower layer's spec.mcp parts that the organisation's rules for the same server decide more strictly. */
export function mcpConflicts(
  org: McpSpec | undefined,
  lower: McpSpec | undefined,
  at: { layer: LayerName; source: string },
  name: string,
): OrganisationConflict[] {
  const out: OrganisationConflict[] = [];
  const orgServers = (org?.servers ?? []).map((spec, i) => ({ spec, i }));
  (lower?.servers ?? []).forEach((server, s) => {
    const floors = orgServers.filter((o) => sameServer(o.spec, server));
    if (!floors.length) return;
    const orgDefault = floors.find((o) => o.spec.default !== undefined);
    if (orgDefault && server.default && isStricter(orgDefault.spec.default as Action, server.default))
      out.push({
        ...at,
        path: `spec.mcp.servers[${s}].default`,
        organisationRule: `spec.mcp default ${orgDefault.spec.default} of server ${orgDefault.i + 1} of the ${name}`,
        message: `the default ${server.default} for MCP server ${server.match} is more permissive than the organisation's ${orgDefault.spec.default}, which lower layers may only narrow`,
      });
    for (const list of LISTS) {
      const glob = list === 'resources' ? compileUriGlob : compileNameGlob;
      for (const rule of rulesOf(server, list)) {
        const sample = rule.pattern.replace(/\*\*/g, 'x').replace(/[*?]/g, 'x');
        const byOrg = floors
          .flatMap((o) => rulesOf(o.spec, list).map((r) => ({ r, o })))
          .find(({ r }) => glob(r.pattern).test(sample));
        if (!byOrg || !isStricter(byOrg.r.action, rule.action)) continue;
        const what = byOrg.r.action === 'deny' ? 'denies' : 'sends to a human';
        out.push({
          ...at,
          path: `spec.mcp.servers[${s}].${list}[${rule.index}]`,
          organisationRule: `spec.mcp ${list}[${byOrg.r.index + 1}] "${byOrg.r.pattern}" of server ${byOrg.o.i + 1} of the ${name}`,
          message: `${list} rule "${rule.pattern}" (${rule.action}) on MCP server ${server.match} would ${rule.action} what the organisation ${what}; lower layers may only narrow it`,
        });
      }
    }
  });
  return out;
}
