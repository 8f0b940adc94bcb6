// What an npm registry request is about, read from its path: a packument (`GET /<name>`,
// `/@scope%2fname`, `/@scope/name`) or a tarball (`GET /<name>/-/<file>.tgz`). Names are
// checked as npm checks them (lowercase URL-safe characters, at most 214), so a path trick
// (`..`, an encoded slash in the wrong place, a version that is not semver) is never taken
// for a package; the tarball's version is read from its file name and must agree with it.

import semver from 'semver';

export type NpmRequest =
  | { kind: 'packument'; name: string }
  | { kind: 'tarball'; name: string; version: string; file: string }
  /** A path in a registry that names a package but cannot be one (refused, never forwarded). */
  | { kind: 'invalid'; reason: string };

const PART = /^[a-z0-9][a-z0-9._~-]*$/;
const MAX_NAME = 214;

/** Is this a package name npm publishes (`name` or `@scope/name`)? */
export function validNpmName(name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME) return false;
  if (name.startsWith('@')) {
    const slash = name.indexOf('/');
    if (slash < 2 || name.indexOf('/', slash + 1) !== -1) return false;
    return PART.test(name.slice(1, slash)) && PART.test(name.slice(slash + 1));
  }
  return PART.test(name) && !name.startsWith('.') && !name.startsWith('_');
}

function decodeOnce(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * Read a registry path (without the query). Paths that are not about one package (`/-/v1/search`,
 * `/-/whoami`, `/`) give null and are left to the network rules.
 */
export function readNpmPath(path: string): NpmRequest | null {
  if (!path.startsWith('/') || path === '/' || path.startsWith('/-/')) return null;
  const segments = path.slice(1).split('/');
  let name: string;
  let rest: string[];
  const first = segments[0] ?? '';
  if (first.startsWith('@')) {
    const lower = first.toLowerCase();
    const encoded = lower.indexOf('%2f');
    if (encoded !== -1) {
      const decoded = decodeOnce(first);
      if (decoded === null)
        return { kind: 'invalid', reason: 'the package name is not valid percent-encoding' };
      name = decoded;
      rest = segments.slice(1);
    } else {
      name = `${first}/${segments[1] ?? ''}`;
      rest = segments.slice(2);
    }
  } else {
    const decoded = decodeOnce(first);
    if (decoded === null)
      return { kind: 'invalid', reason: 'the package name is not valid percent-encoding' };
    name = decoded;
    rest = segments.slice(1);
  }
  if (!validNpmName(name)) {
    return { kind: 'invalid', reason: `"${name.slice(0, 80)}" is not an npm package name` };
  }
  if (rest.length === 0) return { kind: 'packument', name };
  // `/<name>/<version-or-tag>`: one version's manifest; it is read like the packument's entry.
  if (rest.length === 1) return null;
  if (rest.length !== 2 || rest[0] !== '-') {
    return { kind: 'invalid', reason: `"${path.slice(0, 120)}" is not a packument or tarball path` };
  }
  const file = decodeOnce(rest[1] ?? '');
  if (file === null || file.includes('/') || file.includes('\\')) {
    return { kind: 'invalid', reason: 'the tarball file name is not a plain file name' };
  }
  const bare = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  if (!file.startsWith(`${bare}-`) || !file.endsWith('.tgz')) {
    return { kind: 'invalid', reason: `tarball "${file.slice(0, 120)}" is not named after ${name}` };
  }
  const version = file.slice(bare.length + 1, -4);
  if (semver.valid(version, { loose: false }) !== version) {
    return { kind: 'invalid', reason: `tarball "${file.slice(0, 120)}" does not name a semver version` };
  }
  return { kind: 'tarball', name, version, file };
}

/** An audit filter `name` or `name@version` (`@scope/name@1.2.3`); null when not one. */
export function parsePackageFilter(text: string): { name: string; version?: string } | null {
  const at = text.indexOf('@', 1);
  const name = at === -1 ? text : text.slice(0, at);
  const version = at === -1 ? undefined : text.slice(at + 1);
  if (!validNpmName(name)) return null;
  if (version === undefined) return { name };
  if (version === '' || version.length > 100) return null;
  return { name, version };
}
