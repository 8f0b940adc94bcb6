// What an answer may be and which requests share an approval: IT approvals are answered
// only from the team hub (and the hub answers nothing else); MCP calls, requests over a
// budget and package versions are answered once only ("always" belongs in the policy);
// requests share an approval only when their whole request line (and call) is the same.

import { WardenError } from '../api/errors.ts';
import type { ApprovalView, Identity, McpCallView, PackageHoldView, RequestFacts } from '../api/index.ts';
import { itOnlyError } from './queue-errors.ts';
import type { Answerer } from './queue-types.ts';

/** Throws when `from` may not answer `v` with `scope`. */
export function checkAnswer(v: ApprovalView, scope: 'once' | 'always', from: Answerer): void {
  if (v.approver === 'it' && from.client !== 'hub') throw itOnlyError(v);
  if (v.approver !== 'it' && from.client === 'hub')
    throw new WardenError(
      'Forbidden',
      `approval ${v.id} is not one for IT`,
      'the team hub answers only IT approvals',
    );
  if (scope === 'always' && v.mcp) {
    throw new WardenError(
      'BadRequest',
      `approval ${v.id} holds an MCP call (${v.mcp.method} "${v.mcp.name}"), which is answered once only`,
      'answer it with scope once; to decide it always, add a rule under spec.mcp in the policy',
    );
  }
  if (scope === 'always' && v.budget) {
    throw new WardenError(
      'BadRequest',
      `approval ${v.id} holds a model API request over a budget, which is answered once only`,
      'answer it with scope once; to stop asking, raise spec.budgets.limits in the policy',
    );
  }
  if (scope === 'always' && v.package) {
    const p = v.package;
    throw new WardenError(
      'BadRequest',
      `approval ${v.id} holds a package version (${p.name}@${p.version}), which is answered once only`,
      'answer it with scope once; to decide it always, add an entry to spec.packages.npm.allow or deny in the policy',
    );
  }
}

/** Requests wait on one approval only when their whole request line is the same, query included. */
export function dedupeKey(
  identity: Identity,
  f: RequestFacts,
  mcp?: McpCallView,
  budget?: boolean,
  pkg?: PackageHoldView,
): string {
  return [
    identity.sandboxId,
    f.method.toUpperCase(),
    f.scheme,
    f.host,
    f.port,
    f.path,
    f.query ?? '',
    // MCP calls share one URL: only the same call with the same arguments shares an approval.
    mcp ? JSON.stringify([mcp.server, mcp.method, mcp.name, mcp.arguments ?? null, mcp.argumentBytes]) : '',
    // A request held at a budget is not the same question as the same URL held by a rule.
    budget ? 'budget' : '',
    pkg ? JSON.stringify([pkg.ecosystem, pkg.name, pkg.version, pkg.why]) : '',
  ].join('\u0000');
}
