// The packument rewrite as it was before the byte-range rewrite (parse the whole document,
// delete in place, serialise): kept only as the oracle of the differential test, which checks
// that the new rewrite's answer parses to exactly what this one gives.

import semver from 'semver';
import type { NpmRules } from '../../supervisor/packages/index.ts';
import {
  factsOf,
  MAX_VERSIONS,
  type Removed,
  type VersionInfo,
  versionInfo,
} from '../../supervisor/packages/index.ts';

type Json = Record<string, unknown>;

export type OldRewritten =
  | {
      ok: true;
      doc: Record<string, unknown>;
      removed: Removed[];
      kept: number;
      versions: Map<string, VersionInfo>;
    }
  | { ok: false; reason: string };

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NUM = '(0|[1-9]\\d*)';
const PRE = '(?:0|[1-9]\\d*|\\d*[a-zA-Z-][a-zA-Z0-9-]*)';
const STRICT_SEMVER = new RegExp(
  `^${NUM}\\.${NUM}\\.${NUM}(?:-${PRE}(?:\\.${PRE})*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`,
);

/**
 * The newest version of `kept`, a release when there is one (each parsed once). One fix
 * over the old code: the key itself is given back, not semver's form of it, which dropped
 * build metadata (`latest` at "2.3.1" when the version is "2.3.1+build", which npm cannot
 * find).
 */
function newest(kept: string[]): string | undefined {
  let best: [string, semver.SemVer] | undefined;
  let bestPre: [string, semver.SemVer] | undefined;
  for (const v of kept) {
    const parsed = new semver.SemVer(v);
    if (parsed.prerelease.length === 0) {
      if (!best || parsed.compare(best[1]) > 0) best = [v, parsed];
    } else if (!bestPre || parsed.compare(bestPre[1]) > 0) bestPre = [v, parsed];
  }
  return (best ?? bestPre)?.[0];
}

/**
 * Judge and rewrite a parsed packument in place. `name` is the package the request named;
 * the document must be about it. Versions whose key is not valid semver, or whose entry
 * names another version or package, are removed.
 */
export function oldRewritePackument(doc: unknown, name: string, rules: NpmRules, now: number): OldRewritten {
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
      // A fix over the old code: a version semver cannot read (a number past 2^53) is removed.
      semver.valid(version) !== null &&
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
