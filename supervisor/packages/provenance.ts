// `provenance: prefer`: when some versions of a package carry provenance attestations, npm is
// steered to them: the versions without one are removed where an attested release can take
// their place, and `latest` moves to the newest attested release. The exact rule:
//
//   - Only the versions the other rules kept count. An attested version is one whose
//     `dist.attestations` is an object; only attested *releases* (no prerelease tag) stand in.
//   - A version's line is what a caret range treats as one major: its major when that is not
//     0 (1.x.y), else 0.minor (0.3.x), else 0.0.patch.
//   - A version without provenance (release or prerelease) is removed when its line has an
//     attested release, older or newer. So `npm install pkg`, `^1.2.0`, `1.x` or `>=1` resolve
//     to an attested release of that line: a newer version published without provenance (a
//     stolen publish token's) is not picked. A range only unattested versions satisfy
//     (`^1.4.0` when only 1.3.0 is attested, an exact pin) no longer resolves: npm says "no
//     matching version". A lockfile's tarball fetch of a removed version is still allowed
//     and recorded (prefer, not require).
//   - A line without an attested release keeps all its versions.
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
  // Most packages have no attested version at all: nothing is parsed for them.
  if (!kept.some(attested)) return { removed };
  const parsed: Array<[string, semver.SemVer, boolean]> = kept.map((v) => [
    v,
    new semver.SemVer(v),
    attested(v),
  ]);
  // Each line's newest attested release (the one that stands in), and the newest of all.
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
    if (b) removed.set(v, b[0]);
  }
  return { removed, ...(newest ? { newest: newest[0] } : {}) };
}

/** The reason a card, a 403 and the audit give for a version removed by the rule. */
export function preferredWhy(standIn: string): string {
  return `it has no provenance attestation; preferred: version with provenance ${standIn}`;
}
