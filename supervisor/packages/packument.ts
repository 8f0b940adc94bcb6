// A packument (the JSON document npm reads to resolve a name) judged and rewritten: every
// version the rules refuse is removed from `versions` and `time`, and each dist-tag pointing
// at a removed version is moved (`latest` to the newest remaining release) or dropped, so npm
// resolves an older version instead of failing. Both forms are read: the full document
// (`time`, `scripts`) and the abbreviated one (`application/vnd.npm.install-v1+json`,
// `hasInstallScript`). The document the agent receives is the one judged: it is always
// serialised again, so a duplicate key or an entry whose `version` disagrees with its key
// cannot mean one thing here and another to npm.

import semver from 'semver';
import type { NpmRules, VersionFacts } from './rules.ts';

/** A packument whose versions map is larger than this is refused (npm's largest have ~10,000). */
export const MAX_VERSIONS = 50_000;
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'] as const;

/** What is kept of one version for the tarball requests that follow (and the audit). */
export interface VersionInfo {
  publishedAt?: Date;
  installScripts: string[];
  attested: boolean;
  integrity?: string;
}

export interface Removed {
  version: string;
  why: string;
  rule: string;
  publishedAt?: Date;
}

export type Rewritten =
  | {
      ok: true;
      doc: Record<string, unknown>;
      removed: Removed[];
      kept: number;
      versions: Map<string, VersionInfo>;
    }
  | { ok: false; reason: string };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Read one version's entry (null: not a usable entry). */
export function versionInfo(entry: unknown, time: unknown): VersionInfo | null {
  if (!isObject(entry)) return null;
  const scripts = isObject(entry.scripts) ? entry.scripts : null;
  const installScripts: string[] = scripts
    ? INSTALL_SCRIPTS.filter((s) => typeof scripts[s] === 'string')
    : [];
  if (installScripts.length === 0 && entry.hasInstallScript === true)
    installScripts.push('an install script');
  const dist = isObject(entry.dist) ? entry.dist : null;
  const info: VersionInfo = { installScripts, attested: dist !== null && isObject(dist.attestations) };
  if (dist && typeof dist.integrity === 'string' && dist.integrity.length < 400)
    info.integrity = dist.integrity;
  if (typeof time === 'string') {
    const at = new Date(time);
    if (!Number.isNaN(at.getTime())) info.publishedAt = at;
  }
  return info;
}

export function factsOf(name: string, version: string, info: VersionInfo): VersionFacts {
  return {
    name,
    version,
    installScripts: info.installScripts,
    attested: info.attested,
    ...(info.publishedAt ? { publishedAt: info.publishedAt } : {}),
  };
}

// semver's own strict form (what semver.valid accepts without `loose`), as one regex: a
// version key is checked without building a SemVer object for each of thousands.
const NUM = '(0|[1-9]\\d*)';
const PRE = '(?:0|[1-9]\\d*|\\d*[a-zA-Z-][a-zA-Z0-9-]*)';
const STRICT_SEMVER = new RegExp(
  `^${NUM}\\.${NUM}\\.${NUM}(?:-${PRE}(?:\\.${PRE})*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`,
);

/** Is `v` a version exactly as semver.valid would give it back? */
export function isStrictVersion(v: string): boolean {
  if (v.length > 256 || !STRICT_SEMVER.test(v)) return false;
  return semver.valid(v) === v || false;
}

/** The newest version of `kept`, a release when there is one (each parsed once). */
function newest(kept: string[]): string | undefined {
  let best: semver.SemVer | undefined;
  let bestPre: semver.SemVer | undefined;
  for (const v of kept) {
    const parsed = new semver.SemVer(v);
    if (parsed.prerelease.length === 0) {
      if (!best || parsed.compare(best) > 0) best = parsed;
    } else if (!bestPre || parsed.compare(bestPre) > 0) bestPre = parsed;
  }
  return (best ?? bestPre)?.version;
}

/**
 * Judge and rewrite a parsed packument in place. `name` is the package the request named;
 * the document must be about it. Versions whose key is not valid semver, or whose entry
 * names another version or package, are removed.
 */
export function rewritePackument(doc: unknown, name: string, rules: NpmRules, now: number): Rewritten {
  if (!isObject(doc) || !isObject(doc.versions)) {
    return { ok: false, reason: `the registry's answer for ${name} is not a packument (no versions map)` };
  }
  if (doc.name !== name) {
    return { ok: false, reason: `the registry's packument for ${name} names another package` };
  }
  const versions = doc.versions;
  const keys = Object.keys(versions);
  if (keys.length > MAX_VERSIONS) {
    return {
      ok: false,
      reason: `the packument of ${name} lists ${keys.length} versions, more than the ${MAX_VERSIONS} Warden reads`,
    };
  }
  const time = isObject(doc.time) ? doc.time : {};
  const removed: Removed[] = [];
  const keptNames: string[] = [];
  const infos = new Map<string, VersionInfo>();
  for (const version of keys) {
    const entry = versions[version];
    const info = versionInfo(entry, time[version]);
    const valid =
      info !== null &&
      version.length <= 256 &&
      STRICT_SEMVER.test(version) &&
      (entry as Json).version === version &&
      ((entry as Json).name === undefined || (entry as Json).name === name);
    if (!valid || !info) {
      removed.push({
        version: version.slice(0, 100),
        why: 'its entry is not a valid version of this package',
        rule: 'the proxy',
      });
      delete versions[version];
      delete time[version];
      continue;
    }
    const verdict = rules.judge(factsOf(name, version, info), now);
    if (verdict.action === 'deny') {
      removed.push({
        version,
        why: verdict.why,
        rule: verdict.rule,
        ...(info.publishedAt ? { publishedAt: info.publishedAt } : {}),
      });
      delete versions[version];
      delete time[version];
      continue;
    }
    keptNames.push(version);
    infos.set(version, info);
  }
  if (removed.length > 0) {
    const tags = isObject(doc['dist-tags']) ? doc['dist-tags'] : {};
    const fixed: Json = {};
    for (const [tag, v] of Object.entries(tags)) {
      if (typeof v === 'string' && infos.has(v)) fixed[tag] = v;
    }
    if (fixed.latest === undefined) {
      const top = newest(keptNames);
      if (top) fixed.latest = top;
    }
    doc['dist-tags'] = fixed;
  }
  return { ok: true, doc, removed, kept: keptNames.length, versions: infos };
}

/** "react@19.0.0 (published 2026-12-07T02:00:00.000Z): published 3 hours ago; this policy wants 7 days". */
export function describeRemoved(name: string, r: Removed): string {
  const at = r.publishedAt ? ` (published ${r.publishedAt.toISOString()})` : '';
  return `${name}@${r.version}${at}: ${r.why} [${r.rule}]`;
}
