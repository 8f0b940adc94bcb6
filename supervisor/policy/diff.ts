// Semantic diff of two resolved policies: which rules were added, removed, changed or moved,
// and, more to the point, which concrete requests now get a different answer.

import ipaddr from 'ipaddr.js';
import type {
  Action,
  OutcomeChange,
  PolicyDiff,
  RequestFacts,
  ResolvedRuleView,
  RuleChange,
  RuleRef,
} from '../api/policy-types.ts';
import { DEFAULT_PORTS, requestLine } from '../api/request-line.ts';
import type { CompiledRule } from './compiled-rule.ts';
import { describeLayer } from './compiled-rule.ts';
import type { HostPattern } from './host-pattern.ts';
import { formatAddress } from './ip-address.ts';
import type { Policy } from './policy.ts';

const UNMATCHED_PATH = '/warden-diff/unmatched-path';

/** (layer, match, methods, paths): what a rule is about, as opposed to what it decides. */
function identity(ref: RuleRef): string {
  const methods = ref.methods
    ? [...ref.methods]
        .map((m) => m.toUpperCase())
        .sort()
        .join(',')
    : '*';
  const paths = ref.paths ? [...ref.paths].sort().join(',') : '*';
  return `${ref.layer}\u0000${ref.match}\u0000${methods}\u0000${paths}`;
}

/** Identity keys, with a counter so two rules with the same identity stay distinct. */
function keyed(rules: readonly ResolvedRuleView[]): Array<{ key: string; rule: ResolvedRuleView }> {
  const seen = new Map<string, number>();
  return rules.map((rule) => {
    const id = identity(rule);
    const n = seen.get(id) ?? 0;
    seen.set(id, n + 1);
    return { key: `${id}\u0000${n}`, rule };
  });
}

/** Keys that are not part of a longest common subsequence of the two orders: the moved ones. */
function movedKeys(before: string[], after: string[]): Set<string> {
  const rows = before.length;
  const cols = after.length;
  const table: number[][] = Array.from({ length: rows + 1 }, () => new Array<number>(cols + 1).fill(0));
  for (let i = rows - 1; i >= 0; i--) {
    for (let j = cols - 1; j >= 0; j--) {
      const row = table[i]!;
      row[j] = before[i] === after[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, row[j + 1]!);
    }
  }
  const kept = new Set<string>();
  let i = 0;
  let j = 0;
  while (i < rows && j < cols) {
    if (before[i] === after[j]) {
      kept.add(before[i]!);
      i++;
      j++;
    } else if (table[i + 1]![j]! >= table[i]![j + 1]!) i++;
    else j++;
  }
  return new Set(before.filter((k) => !kept.has(k)));
}

function firstUsable(pattern: Extract<HostPattern, { kind: 'cidr' }>): string {
  const bytes = pattern.network.toByteArray();
  const bits = bytes.length * 8;
  if (bits - pattern.prefix >= 2) bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) | 1;
  return formatAddress(ipaddr.fromByteArray(bytes));
}

/** A host the pattern matches. */
function concreteHost(pattern: HostPattern): string {
  switch (pattern.kind) {
    case 'any':
      return 'any-host.example';
    case 'exact':
      return pattern.host;
    case 'one-label':
      return `a.${pattern.suffix}`;
    case 'any-depth':
      return `a.b.${pattern.suffix}`;
    case 'address':
      return formatAddress(pattern.address);
    case 'cidr':
      return firstUsable(pattern);
  }
}

/** A path the glob matches. */
function concretePath(glob: string): string {
  let path = glob.endsWith('/**') ? `${glob.slice(0, -3)}/x` : glob;
  path = path.replace(/\*\*/g, 'x/y').replace(/\*/g, 'x').replace(/\?/g, 'x');
  return path;
}

function ruleExamples(rule: CompiledRule): RequestFacts[] {
  const scheme = rule.parsed.scheme ?? 'https';
  const port = rule.parsed.port?.from ?? DEFAULT_PORTS[scheme];
  const host = concreteHost(rule.parsed.host);
  const methods = rule.methods ? [...rule.methods] : ['GET'];
  const paths = rule.paths ? [...rule.paths.map((g) => concretePath(g.source)), UNMATCHED_PATH] : ['/'];
  const out: RequestFacts[] = [];
  for (const method of methods) for (const path of paths) out.push({ scheme, host, port, method, path });
  return out;
}

function requestKey(r: RequestFacts): string {
  return `${r.method} ${r.scheme}://${r.host}:${r.port}${r.path}`;
}

/**
 * What changes from `before` to `after`: rules added, removed, changed and moved, and
 * example requests decided differently. `examples` (e.g. the request an approval is for)
 * come first and stand in for the rules' own examples of the same method, host, port and path.
 */
export function diffPolicies(before: Policy, after: Policy, examples: RequestFacts[] = []): PolicyDiff {
  const b = keyed(before.view().rules);
  const a = keyed(after.view().rules);
  const beforeByKey = new Map(b.map((e) => [e.key, e.rule]));
  const afterByKey = new Map(a.map((e) => [e.key, e.rule]));

  const removed = b.filter((e) => !afterByKey.has(e.key)).map((e) => e.rule);
  const added = a.filter((e) => !beforeByKey.has(e.key)).map((e) => e.rule);
  const changed: RuleChange[] = [];
  for (const { key, rule } of b) {
    const other = afterByKey.get(key);
    if (!other) continue;
    const fields: string[] = (['action', 'description', 'tls'] as const).filter((f) => rule[f] !== other[f]);
    if (String(rule.upgrades ?? '') !== String(other.upgrades ?? '')) fields.push('upgrades');
    if (fields.length > 0) changed.push({ before: rule, after: other, fields: [...fields] });
  }
  const commonBefore = b.filter((e) => afterByKey.has(e.key)).map((e) => e.key);
  const commonAfter = a.filter((e) => beforeByKey.has(e.key)).map((e) => e.key);
  const moved = movedKeys(commonBefore, commonAfter);
  const reordered = a
    .filter((e) => moved.has(e.key))
    .map((e) => ({
      rule: e.rule as RuleRef,
      beforeIndex: beforeByKey.get(e.key)!.index,
      afterIndex: e.rule.index,
    }));

  const requests = new Map<string, RequestFacts>();
  const given = new Set<string>();
  for (const request of examples) {
    requests.set(requestKey(request), request);
    given.add(requestKey({ ...request, scheme: 'https' }));
  }
  for (const rule of [...before.rules, ...after.rules]) {
    for (const request of ruleExamples(rule)) {
      if (!rule.parsed.scheme && given.has(requestKey({ ...request, scheme: 'https' }))) continue;
      requests.set(requestKey(request), request);
    }
  }
  requests.set('default', {
    scheme: 'https',
    host: 'unlisted-host.example',
    port: 443,
    method: 'GET',
    path: '/',
  });
  const outcomeChanges: OutcomeChange[] = [];
  for (const request of requests.values()) {
    const was = before.decideRequest(request);
    const now = after.decideRequest(request);
    if (was.action !== now.action) outcomeChanges.push({ request, before: was, after: now });
  }

  const diff: PolicyDiff = { added, removed, changed, reordered, outcomeChanges, empty: false };
  if (before.defaultAction !== after.defaultAction) {
    diff.defaultChanged = { before: before.defaultAction, after: after.defaultAction };
  }
  if (before.approvalTimeoutSeconds !== after.approvalTimeoutSeconds) {
    diff.timeoutChanged = { before: before.approvalTimeoutSeconds, after: after.approvalTimeoutSeconds };
  }
  diff.empty =
    !diff.defaultChanged &&
    !diff.timeoutChanged &&
    added.length + removed.length + changed.length + reordered.length + outcomeChanges.length === 0;
  return diff;
}

function ruleLine(ref: RuleRef): string {
  const parts = [JSON.stringify(ref.match)];
  if (ref.methods) parts.push(ref.methods.join(','));
  if (ref.paths) parts.push(ref.paths.join(','));
  parts.push(ref.action);
  const tls = (ref as ResolvedRuleView).tls;
  if (tls) parts.push(`tls: ${tls}`);
  if (ref.upgrades) parts.push(`upgrades: ${ref.upgrades.join(',')}`);
  return `${describeLayer(ref.layer, ref.source)} rule ${ref.index + 1}: ${parts.join(' ')}`;
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value);
}

function verdict(action: Action, rule: RuleRef | null): string {
  return rule
    ? `${action} (${describeLayer(rule.layer, rule.source)} rule ${rule.index + 1})`
    : `${action} (default)`;
}

/** Readable text: `+` added, `-` removed, `~` changed or moved, then the outcome changes. */
export function formatDiff(diff: PolicyDiff): string {
  if (diff.empty) return 'no differences\n';
  const lines: string[] = [];
  if (diff.defaultChanged)
    lines.push(`~ default: ${diff.defaultChanged.before} → ${diff.defaultChanged.after}`);
  if (diff.timeoutChanged) {
    lines.push(`~ approval timeout: ${diff.timeoutChanged.before}s → ${diff.timeoutChanged.after}s`);
  }
  for (const rule of diff.removed) lines.push(`- ${ruleLine(rule)}`);
  for (const rule of diff.added) lines.push(`+ ${ruleLine(rule)}`);
  for (const change of diff.changed) {
    const fields = change.fields.map((f) => {
      const key = f as keyof ResolvedRuleView;
      return `${f} ${show((change.before as ResolvedRuleView)[key])} → ${show((change.after as ResolvedRuleView)[key])}`;
    });
    lines.push(`~ ${ruleLine(change.after)} (${fields.join('; ')})`);
  }
  for (const move of diff.reordered) {
    lines.push(
      `~ ${ruleLine(move.rule)} (moved from position ${move.beforeIndex + 1} to ${move.afterIndex + 1})`,
    );
  }
  if (diff.outcomeChanges.length > 0) {
    lines.push('', 'outcome changes:');
    for (const change of diff.outcomeChanges) {
      lines.push(
        `  ${requestLine(change.request)}: ${verdict(change.before.action, change.before.rule)} → ${verdict(change.after.action, change.after.rule)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
