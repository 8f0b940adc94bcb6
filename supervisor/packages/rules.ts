// spec.packages.npm compiled from every layer of a sandbox's policy. Lists and settings merge
// as the network rules do (session, project, preset, base: the most specific layer that sets
// a value decides), and the organisation layer may only narrow: its deny entries always
// apply, its allow list must match too, and its minReleaseAgeDays, installScripts,
// provenance and firstSeen are floors a lower layer cannot relax. Asks (installScripts: ask,
// firstSeen: ask, ask entries) go to IT when their layer says `approver: it`; an ask the
// organisation sends to IT stays IT's when a lower layer asks about the same version itself.

import semver from 'semver';
import type { LayerName } from '../api/index.ts';
import type { NpmPackagesSpec, PackageRuleSpec } from '../api/packages-schema.ts';
import type { Policy } from '../policy/index.ts';
import { compilePackageGlob } from './glob.ts';

export const PUBLIC_NPM_REGISTRY = 'registry.npmjs.org';

/** What the rules need to know of one version (from its packument entry). */
export interface VersionFacts {
  name: string;
  version: string;
  /** Publish time from the packument's `time` (absent: unknown). */
  publishedAt?: Date;
  /** The lifecycle scripts it runs at install (preinstall, install, postinstall). */
  installScripts: string[];
  /** It carries provenance attestations (`dist.attestations`). */
  attested: boolean;
  /** Its major, minor and patch when it is a release: ranges are tested without parsing it. */
  release?: readonly [number, number, number];
}

/** What the rules say about one version. `why` is the short reason a card and a 403 show. */
export type VersionVerdict =
  | { action: 'allow' }
  | { action: 'deny' | 'ask'; why: string; rule: string; approver?: 'it' };

type Ask = { action: 'ask'; why: string; rule: string; approver?: 'it' };

/** The verdict of most versions: one object, never changed (a packument judges thousands). */
const ALLOW: VersionVerdict = Object.freeze({ action: 'allow' });

interface CompiledEntry {
  regex: RegExp;
  range: semver.Range | null;
  spec: PackageRuleSpec;
  where: string;
  approver?: 'it';
  organisation?: true;
}

type Scripts = 'allow' | 'ask' | 'deny';
const SCRIPT_STRICTNESS: Record<Scripts, number> = { allow: 0, ask: 1, deny: 2 };
const DAY_MS = 86_400_000;

function where(layer: LayerName, source: string, field: string): string {
  return `spec.packages.npm.${field} in the ${layer} layer (${source})`;
}

function compileEntries(
  list: PackageRuleSpec[] | undefined,
  at: (i: number) => string,
  approver?: 'it',
): CompiledEntry[] {
  return (list ?? []).map((spec, i) => {
    let range: semver.Range | null = null;
    if (spec.versions !== undefined) {
      try {
        range = new semver.Range(spec.versions);
      } catch {
        // parse.ts refuses an invalid range; an entry that still has one matches no version.
        range = new semver.Range('<0.0.0-0');
      }
    }
    return {
      regex: compilePackageGlob(spec.name),
      range,
      spec,
      where: at(i),
      ...(approver ? { approver } : {}),
    };
  });
}

/**
 * range.test of a release from its three numbers, as semver decides it (a release is not
 * subject to the prerelease rule), without building a SemVer; undefined for an operator
 * this does not know.
 */
export function testRelease(
  range: semver.Range,
  nums: readonly [number, number, number],
): boolean | undefined {
  let any = false;
  for (const set of range.set) {
    let all = true;
    for (const c of set) {
      const s = c.semver as semver.SemVer | symbol;
      if (!(s instanceof semver.SemVer)) continue;
      const d =
        nums[0] - s.major || nums[1] - s.minor || nums[2] - s.patch || (s.prerelease.length > 0 ? 1 : 0);
      const op = c.operator as string;
      const ok =
        op === ''
          ? d === 0
          : op === '<'
            ? d < 0
            : op === '>'
              ? d > 0
              : op === '<='
                ? d <= 0
                : op === '>='
                  ? d >= 0
                  : null;
      if (ok === null) return undefined;
      if (!ok) {
        all = false;
        break;
      }
    }
    if (all) any = true;
  }
  return any;
}

function matches(entry: CompiledEntry, v: VersionFacts): boolean {
  if (!entry.regex.test(v.name)) return false;
  if (entry.range === null) return true;
  const fast = v.release ? testRelease(entry.range, v.release) : undefined;
  return fast ?? entry.range.test(v.version);
}

function label(entry: CompiledEntry): string {
  const v = entry.spec.versions ? `@${entry.spec.versions}` : '';
  const d = entry.spec.description ? ` (${entry.spec.description})` : '';
  return `"${entry.spec.name}${v}"${d}`;
}

/** "3 hours", "2 days", "40 minutes". */
export function ageText(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hours`;
  return `${Math.floor(hours / 24)} days`;
}

interface Setting<T> {
  value: T;
  where: string;
  /** `it` when the layer that set it sends its asks to IT. */
  approver?: 'it';
}

export class NpmRules {
  readonly registries: ReadonlySet<string>;
  readonly #deny: CompiledEntry[];
  readonly #ask: CompiledEntry[];
  /** The allow list of the most specific layer that sets one (null: no allow list). */
  readonly #allow: CompiledEntry[] | null;
  readonly #orgAllow: CompiledEntry[] | null;
  readonly minAge: Setting<number> | null;
  readonly scripts: Setting<Scripts> | null;
  readonly provenance: Setting<'prefer' | 'require'> | null;
  readonly firstSeen: Setting<'allow' | 'ask'> | null;
  /** Some layer has spec.packages.npm (even empty): registry tunnels are read, tarballs recorded. */
  readonly present: boolean;

  constructor(layers: ReadonlyArray<{ layer: LayerName; source: string; spec: NpmPackagesSpec }>) {
    this.present = layers.length > 0;
    const registries = new Set<string>([PUBLIC_NPM_REGISTRY]);
    const deny: CompiledEntry[] = [];
    const ask: CompiledEntry[] = [];
    let allow: CompiledEntry[] | null = null;
    let orgAllow: CompiledEntry[] | null = null;
    const lower = layers.filter((l) => l.layer !== 'organisation');
    const org = layers.filter((l) => l.layer === 'organisation');
    for (const { layer, source, spec } of layers) {
      for (const r of spec.registries ?? []) registries.add(r.toLowerCase());
      deny.push(...compileEntries(spec.deny, (i) => where(layer, source, `deny[${i}]`)));
      const asks = compileEntries(spec.ask, (i) => where(layer, source, `ask[${i}]`), spec.approver);
      ask.push(...asks.map((e) => (layer === 'organisation' ? { ...e, organisation: true as const } : e)));
      if (spec.allow) {
        const compiled = compileEntries(spec.allow, (i) => where(layer, source, `allow[${i}]`));
        if (layer === 'organisation') orgAllow ??= compiled;
        else allow ??= compiled;
      }
    }
    this.registries = registries;
    this.#deny = deny;
    // The organisation's asks first: of two entries naming a version, its one decides who answers.
    const orgFirst = (e: CompiledEntry) => (e.organisation ? 0 : 1);
    this.#ask = ask.sort((a, b) => orgFirst(a) - orgFirst(b));
    this.#allow = allow;
    this.#orgAllow = orgAllow;
    const pick = <K extends keyof NpmPackagesSpec>(
      key: K,
      stricter: (a: NonNullable<NpmPackagesSpec[K]>, b: NonNullable<NpmPackagesSpec[K]>) => boolean,
    ): Setting<NonNullable<NpmPackagesSpec[K]>> | null => {
      const first = (ls: typeof layers) => {
        const l = ls.find((x) => x.spec[key] !== undefined);
        if (!l) return null;
        const value = l.spec[key] as NonNullable<NpmPackagesSpec[K]>;
        return {
          value,
          where: where(l.layer, l.source, key),
          ...(l.spec.approver ? { approver: l.spec.approver } : {}),
        };
      };
      const mine = first(lower);
      const floor = first(org);
      if (!floor) return mine;
      if (!mine || stricter(floor.value, mine.value)) return floor;
      // The same ask in both: the organisation's decides who answers it.
      if (floor.value === mine.value && floor.approver === 'it') return floor;
      return mine;
    };
    this.minAge = pick('minReleaseAgeDays', (a, b) => a > b);
    this.scripts = pick('installScripts', (a, b) => SCRIPT_STRICTNESS[a] > SCRIPT_STRICTNESS[b]);
    this.provenance = pick('provenance', (a, b) => a === 'require' && b !== 'require');
    this.firstSeen = pick('firstSeen', (a, b) => a === 'ask' && b !== 'ask');
  }

  #scriptsWhy(v: VersionFacts): string {
    return `it runs install scripts (${v.installScripts.join(', ')})`;
  }

  /** Is this host (and port) an npm registry the rules govern? */
  isRegistry(host: string, port: number): boolean {
    const h = host.toLowerCase();
    return this.registries.has(h) || this.registries.has(`${h}:${port}`);
  }

  /** Do the rules change anything (else registry traffic is only recorded)? */
  get governs(): boolean {
    return (
      this.#deny.length > 0 ||
      this.#ask.length > 0 ||
      this.#allow !== null ||
      this.#orgAllow !== null ||
      (this.minAge !== null && this.minAge.value > 0) ||
      (this.scripts !== null && this.scripts.value !== 'allow') ||
      this.provenance?.value === 'require' ||
      this.firstSeen?.value === 'ask'
    );
  }

  /** Are packuments rewritten (the rules remove versions, or `provenance: prefer` steers)? */
  get rewrites(): boolean {
    return this.governs || this.provenance?.value === 'prefer';
  }

  /** Does judging need each version's publish time (so the full packument is asked for)? */
  get needsTimes(): boolean {
    return this.minAge !== null && this.minAge.value > 0;
  }

  /**
   * Judge one version. `now` is the clock; `seen` says whether the name was fetched before
   * on this device (only asked when firstSeen is ask, for a tarball).
   */
  judge(v: VersionFacts, now: number, seen?: () => boolean): VersionVerdict {
    for (const entry of this.#deny) {
      if (matches(entry, v)) {
        return { action: 'deny', why: `it is on a deny list ${label(entry)}`, rule: entry.where };
      }
    }
    for (const list of [this.#orgAllow, this.#allow]) {
      if (list === null) continue;
      if (!list.some((e) => matches(e, v))) {
        const at = list[0]?.where.replace(/\[0\]/, '') ?? 'spec.packages.npm.allow';
        return { action: 'deny', why: 'no entry of the allow list names this version', rule: at };
      }
    }
    if (this.minAge && this.minAge.value > 0) {
      const wants = `this policy wants ${this.minAge.value} day${this.minAge.value === 1 ? '' : 's'}`;
      if (!v.publishedAt) {
        return { action: 'deny', why: `its publish time is unknown; ${wants}`, rule: this.minAge.where };
      }
      const age = now - v.publishedAt.getTime();
      if (age < this.minAge.value * DAY_MS) {
        return { action: 'deny', why: `published ${ageText(age)} ago; ${wants}`, rule: this.minAge.where };
      }
    }
    if (this.provenance?.value === 'require' && !v.attested) {
      return {
        action: 'deny',
        why: 'it has no provenance attestation; this policy requires one',
        rule: this.provenance.where,
      };
    }
    if (this.scripts?.value === 'deny' && v.installScripts.length > 0) {
      return { action: 'deny', why: this.#scriptsWhy(v), rule: this.scripts.where };
    }
    // Every ask that names this version; IT's (an organisation floor) before a local one.
    const asks: Ask[] = [];
    const entry = this.#ask.find((e) => matches(e, v));
    if (entry)
      asks.push(
        withApprover(
          { action: 'ask', why: `an ask entry names it ${label(entry)}`, rule: entry.where },
          entry.approver,
        ),
      );
    if (this.scripts?.value === 'ask' && v.installScripts.length > 0) {
      asks.push(
        withApprover(
          { action: 'ask', why: this.#scriptsWhy(v), rule: this.scripts.where },
          this.scripts.approver,
        ),
      );
    }
    if (this.firstSeen?.value === 'ask' && seen && !seen()) {
      const why = 'no version of it was ever fetched on this device';
      asks.push(withApprover({ action: 'ask', why, rule: this.firstSeen.where }, this.firstSeen.approver));
    }
    const chosen = asks.find((a) => a.approver === 'it') ?? asks[0];
    return chosen ?? ALLOW;
  }
}

function withApprover(ask: Ask, approver: 'it' | undefined): Ask {
  return approver ? { ...ask, approver } : ask;
}

const compiled = new WeakMap<Policy, NpmRules>();

/** spec.packages.npm of a policy, compiled once per Policy (a Policy never changes). */
export function npmRulesOf(policy: Policy): NpmRules {
  let rules = compiled.get(policy);
  if (!rules) {
    const layers = policy.layers.flatMap((l) => {
      const spec = l.document.spec.packages?.npm;
      return spec ? [{ layer: l.layer, source: l.source, spec }] : [];
    });
    rules = new NpmRules(layers);
    compiled.set(policy, rules);
  }
  return rules;
}
