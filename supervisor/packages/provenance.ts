// `provenance: prefer`: when some versions of a package carry provenance attestations, the
// versions without one that an attested release can stand in for are removed, and `latest`
// moves to the newest attested release. The exact rule:
//
//   - Only the versions the other rules kept count. An attested version is one whose
//     `dist.attestations` is an object; only attested *releases* (no prerelease tag) stand in.
//   - A version's line is the set a caret range treats as compatible: its major when that is
//     not 0 (1.x.y), else 0.minor (0.3.x), else 0.0.patch.
//   - A version without provenance is removed when an attested release of the same line is
//     equal or newer (semver order). So every `^`, `>=`, `*` or major.x range that matched a
//     removed version still matches that attested release: npm resolves it instead of failing.
//     An exact pin or `~` range of a removed version can stop resolving; a lockfile's tarball
//     fetch of it is still allowed (prefer, not require).
//   - `latest` moves to the newest attested release when it is not attested itself.
//   - No attested release among the kept versions: nothing is removed, nothing moves.

import semver from 'semver';

export interface Preference {
  /** Each version removed, with the attested release that stands in for it. */
  removed: Map<string, string>;
  /** The newest attested release (where `latest` goes), when there is one. */
  newest?: string;
}

function lineOf(v: semver.SemVer): string {
  if (v.major !== 0) return `${v.major}`;
  if (v.minor !== 0) return `0.${v.minor}`;
  return `0.0.${v.patch}`;
}

/** Apply the rule above to `kept` (valid semver versions); `attested(v)` says which carry provenance. */
export function preferProvenance(kept: readonly string[], attested: (v: string) => boolean): Preference {
  const removed = new Map<string, string>();
  const parsed: Array<[string, semver.SemVer, boolean]> = [];
  let any = false;
  for (const v of kept) {
    const a = attested(v);
    const p = new semver.SemVer(v);
    if (a && p.prerelease.length === 0) any = true;
    parsed.push([v, p, a]);
  }
  if (!any) return { removed };
  const best = new Map<string, [string, semver.SemVer]>();
  let newest: [string, semver.SemVer] | undefined;
  for (const [v, p, a] of parsed) {
    if (!a || p.prerelease.length > 0) continue;
    const line = lineOf(p);
    const b = best.get(line);
    if (!b || p.compare(b[1]) > 0) best.set(line, [v, p]);
    if (!newest || p.compare(newest[1]) > 0) newest = [v, p];
  }
  for (const [v, p, a] of parsed) {
    if (a) continue;
    const b = best.get(lineOf(p));
    if (b && b[1].compare(p) >= 0) removed.set(v, b[0]);
  }
  return { removed, ...(newest ? { newest: newest[0] } : {}) };
}

/** The reason a card, a 403 and the audit give for a version removed by the rule. */
export function preferredWhy(standIn: string): string {
  return `it has no provenance attestation; preferred: version with provenance ${standIn}`;
}
