// The organisation's settings beyond its network rules that a lower layer may only narrow, as
// conflicts (listed as ignored when a file loads, refused as an edit): the npm package floors
// (minReleaseAgeDays, installScripts, provenance, firstSeen), its reviewer hook (a lower layer
// cannot replace it) and its model prices (a lower layer cannot make a model cheaper and so
// slip under its dollar limits). Enforcement is where each setting is used (packages/rules.ts,
// policy.ts, spend/budgets.ts); this only says which lower parts do not count, and why.

import type { PolicyDocument } from '../api/policy-schema.ts';
import type { LayerName, OrganisationConflict } from '../api/policy-types.ts';

type Spec = Pick<PolicyDocument['spec'], 'packages' | 'approvals' | 'budgets'>;

const SCRIPTS = { allow: 0, ask: 1, deny: 2 } as const;

/** The lower layer's settings that would weaken the organisation's (`name` describes it). */
export function settingConflicts(
  org: Spec,
  lower: Spec & { layer: LayerName; source: string },
  name: string,
): OrganisationConflict[] {
  const out: OrganisationConflict[] = [];
  const at = { layer: lower.layer, source: lower.source };
  const push = (path: string, orgSetting: string, message: string) =>
    out.push({ ...at, path, organisationRule: `${orgSetting} of the ${name}`, message });

  const o = org.packages?.npm;
  const l = lower.packages?.npm;
  if (o && l) {
    const p = 'spec.packages.npm';
    if (
      o.minReleaseAgeDays !== undefined &&
      l.minReleaseAgeDays !== undefined &&
      l.minReleaseAgeDays < o.minReleaseAgeDays
    )
      push(
        `${p}.minReleaseAgeDays`,
        `${p}.minReleaseAgeDays: ${o.minReleaseAgeDays}`,
        `versions ${l.minReleaseAgeDays} days old are younger than the organisation's ${o.minReleaseAgeDays} days, which lower layers may only raise`,
      );
    if (o.installScripts && l.installScripts && SCRIPTS[l.installScripts] < SCRIPTS[o.installScripts])
      push(
        `${p}.installScripts`,
        `${p}.installScripts: ${o.installScripts}`,
        `installScripts: ${l.installScripts} is more permissive than the organisation's ${o.installScripts}, which lower layers may only narrow`,
      );
    if (o.provenance === 'require' && l.provenance === 'prefer')
      push(
        `${p}.provenance`,
        `${p}.provenance: require`,
        'provenance: prefer would let versions without provenance through; the organisation requires it',
      );
    if (o.firstSeen === 'ask' && l.firstSeen === 'allow')
      push(
        `${p}.firstSeen`,
        `${p}.firstSeen: ask`,
        "firstSeen: allow would skip the organisation's approval of a package never fetched before",
      );
  }

  if (org.approvals?.reviewer && lower.approvals?.reviewer)
    push(
      'spec.approvals.reviewer',
      'spec.approvals.reviewer',
      "a lower layer's reviewer hook cannot replace the organisation's, which answers approvals first",
    );

  const orgPrices = org.budgets?.prices ?? [];
  (lower.budgets?.prices ?? []).forEach((price, index) => {
    const model = price.model.toLowerCase();
    let floor: (typeof orgPrices)[number] | undefined;
    for (const e of orgPrices)
      if (model.startsWith(e.model.toLowerCase()) && (!floor || e.model.length > floor.model.length))
        floor = e;
    if (!floor) return;
    const f = floor;
    const cheaper = (['input', 'output', 'cacheRead', 'cacheWrite'] as const).filter(
      (k) => (price[k] ?? price.input) < (f[k] ?? f.input),
    );
    if (cheaper.length)
      push(
        `spec.budgets.prices[${index}]`,
        `spec.budgets.prices "${f.model}"`,
        `the ${cheaper.join(', ')} price of "${price.model}" is below the organisation's, which would spend past its dollar limits; lower layers may only raise it`,
      );
  });
  return out;
}

type FixedSpec = Pick<
  PolicyDocument['spec'],
  'network' | 'mcp' | 'packages' | 'approvals' | 'budgets' | 'redact'
>;

/**
 * The organisation's settings beyond its default and timeout, one short phrase each, for the
 * places that show what it fixed (warden policy show, the desktop Policy view). A reviewer
 * hook shows its program's name or its URL's origin, never its arguments or query.
 */
export function fixedSettings(spec: FixedSpec): string[] {
  const out: string[] = [];
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const toIt = (spec.network?.rules ?? []).filter((r) => r.action === 'ask' && r.approver === 'it').length;
  if (toIt) out.push(`${plural(toIt, 'network rule')} sent to IT on the team hub`);
  const servers = spec.mcp?.servers ?? [];
  if (servers.length) {
    const rules = servers.flatMap((s) => [...(s.tools ?? []), ...(s.prompts ?? []), ...(s.resources ?? [])]);
    const it = rules.filter((r) => r.action === 'ask' && r.approver === 'it').length;
    out.push(
      `MCP: ${plural(servers.length, 'server')}, ${plural(rules.length, 'rule')}${it ? ` (${it} sent to IT)` : ''} that lower rules cannot relax`,
    );
  }
  const npm = spec.packages?.npm;
  if (npm) {
    const parts: string[] = [];
    if (npm.minReleaseAgeDays) parts.push(`versions at least ${npm.minReleaseAgeDays} days old`);
    if (npm.installScripts) parts.push(`install scripts ${npm.installScripts}`);
    if (npm.provenance === 'require') parts.push('provenance required');
    if (npm.firstSeen === 'ask') parts.push('a package never fetched before is asked about');
    if (npm.deny?.length) parts.push(`${plural(npm.deny.length, 'deny entry')}`.replace('entrys', 'entries'));
    if (npm.ask?.length) parts.push(`${plural(npm.ask.length, 'ask entry')}`.replace('entrys', 'entries'));
    if (npm.allow) parts.push(`only its allow list (${npm.allow.length})`);
    if (npm.approver === 'it') parts.push('its asks answered by IT on the team hub');
    if (parts.length) out.push(`npm packages: ${parts.join(', ')}`);
  }
  const hook = spec.approvals?.reviewer;
  if (hook) {
    let what = 'a reviewer hook';
    if (hook.command) what = `the reviewer hook ${hook.command[0]?.split('/').pop() ?? ''}`;
    else if (hook.url) {
      try {
        what = `the reviewer webhook ${new URL(hook.url).origin}`;
      } catch {
        what = 'a reviewer webhook';
      }
    }
    out.push(`${what} answers approvals first`);
  }
  for (const l of spec.budgets?.limits ?? []) {
    const amount = [
      l.usd !== undefined ? `$${l.usd}` : '',
      l.tokens !== undefined ? `${l.tokens} tokens` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    if (amount)
      out.push(`model spend at most ${amount} per ${l.per} per sandbox (then ${l.action ?? 'deny'})`);
  }
  if (spec.budgets?.prices?.length)
    out.push(`${plural(spec.budgets.prices.length, 'model price')} (a floor)`);
  const redact = spec.redact?.rules?.length;
  if (redact) out.push(`redaction: ${plural(redact, 'rule')}, held whatever lower layers say`);
  return out;
}
