// The checks of spec.packages that the schema cannot make: every `versions` is a semver range
// npm would accept, every name glob could match an npm name, and an `approver` has an ask of
// its layer to answer.

import semver from 'semver';

type Segment = string | number;

const NAME_GLOB =
  /^(@[a-z0-9*?][a-z0-9._~*?-]*\/)?[a-z0-9*?][a-z0-9._~*?-]*$|^@[a-z0-9*?][a-z0-9._~*?-]*\/?\*$|^\*$/;

export function packagesSemanticErrors(value: unknown): Array<{ segments: Segment[]; message: string }> {
  const out: Array<{ segments: Segment[]; message: string }> = [];
  const npm = (value as { spec?: { packages?: { npm?: Record<string, unknown> } } } | null)?.spec?.packages
    ?.npm;
  if (!npm || typeof npm !== 'object') return out;
  for (const list of ['allow', 'deny', 'ask'] as const) {
    const entries = npm[list];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, index) => {
      if (entry === null || typeof entry !== 'object') return;
      const e = entry as Record<string, unknown>;
      const base: Segment[] = ['spec', 'packages', 'npm', list, index];
      if (typeof e.name === 'string' && e.name.length > 0 && !NAME_GLOB.test(e.name)) {
        out.push({
          segments: [...base, 'name'],
          message: `"${e.name.slice(0, 100)}" cannot match an npm package name (lowercase letters, digits, - . _ ~, an optional @scope/, and * ? globs)`,
        });
      }
      if (typeof e.versions === 'string' && semver.validRange(e.versions) === null) {
        out.push({
          segments: [...base, 'versions'],
          message: `"${e.versions.slice(0, 100)}" is not a semver range (for example ^1.2.0, <2 || >=3.1, 1.0.3)`,
        });
      }
    });
  }
  const asks =
    npm.installScripts === 'ask' || npm.firstSeen === 'ask' || (Array.isArray(npm.ask) && npm.ask.length > 0);
  if (npm.approver !== undefined && !asks) {
    out.push({
      segments: ['spec', 'packages', 'npm', 'approver'],
      message:
        "approver names who answers this layer's package asks: it needs installScripts: ask, firstSeen: ask or an ask entry",
    });
  }
  return out;
}
