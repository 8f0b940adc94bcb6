// Package name globs: `*` any characters (a scope's `/` included, so `@acme/*` names a scope),
// `?` one character; whole-name, case-sensitive (npm names are lowercase).

const SPECIAL = /[.+^${}()|[\]\\]/g;

export function compilePackageGlob(glob: string): RegExp {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(SPECIAL, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}
