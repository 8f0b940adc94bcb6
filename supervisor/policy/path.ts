// Request paths and path globs. Paths are normalized before matching so `..`, `%2e%2e` and
// needless percent-encoding cannot sneak a request past a rule written for another path.

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Decode percent-encoded unreserved characters; upper-case the hex of every other escape. */
function normalizePercent(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/**
 * Normalize a request-target path (with optional `?query`): resolve `.` and `..` segments
 * (also when percent-encoded), decode percent-encoded unreserved characters, keep everything
 * else encoded, never climb above the root. Empty → `/`. The query is returned unchanged.
 */
export function normalizePath(rawPath: string): { path: string; query: string } {
  const q = rawPath.indexOf('?');
  const rawQuery = q === -1 ? '' : rawPath.slice(q + 1);
  const rawOnly = q === -1 ? rawPath : rawPath.slice(0, q);
  // Nothing to decode and no segment that starts with a dot: already normal (most requests).
  if (rawOnly.startsWith('/') && !rawOnly.includes('%') && !rawOnly.includes('/.'))
    return { path: rawOnly, query: rawQuery };
  let path = normalizePercent(rawOnly);
  if (!path.startsWith('/')) path = `/${path}`;
  const segments = path.slice(1).split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    const last = i === segments.length - 1;
    if (segment === '.' || segment === '..') {
      if (segment === '..' && out.length > 0) out.pop();
      // A trailing dot segment leaves a directory path: `/a/b/..` → `/a/`.
      if (last) out.push('');
      continue;
    }
    out.push(segment);
  }
  return { path: `/${out.join('/')}`, query: rawQuery };
}

/**
 * Why a raw request path is ambiguous, or null when it is not: a part that servers read in
 * different ways, so that a path rule could match one path while the server serves another.
 * Encoded `/` (`%2F`) and `\` (`%5C`, or a raw backslash), `;` parameters (`..;/` climbs on
 * servers that strip them before resolving dot segments), encoded and double-encoded dot
 * segments, and empty segments (`//`, which some servers merge). The query is not looked at.
 */
const MAY_BE_AMBIGUOUS = /[%\\;]|\/\//;

export function pathAmbiguity(rawPath: string): string | null {
  const q = rawPath.indexOf('?');
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  // Most paths: no segment below can be ambiguous without one of these (an empty segment
  // before the last needs "//").
  if (!MAY_BE_AMBIGUOUS.test(path)) return null;
  const segments = path.replace(/^\//, '').split('/');
  for (let i = 0; i < segments.length; i++) {
    const raw = segments[i] ?? '';
    if (raw !== '' && !/[%\\;]/.test(raw)) continue; // nothing below can hold for it
    const shown = `segment "${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}"`;
    if (/%25(2f|5c|2e|3b)/i.test(raw))
      return `${shown} has a double-encoded "/", "\\", "." or ";" (%25…), which servers that decode twice read as the character`;
    if (/%2f/i.test(raw))
      return `${shown} has an encoded "/" (%2F), which some servers decode before routing`;
    if (raw.includes('\\') || /%5c/i.test(raw))
      return `${shown} has a backslash ("\\" or %5C), which some servers read as "/"`;
    if (raw.includes(';') || /%3b/i.test(raw))
      return `${shown} has a ";" (or %3B), whose parameters some servers strip before routing ("..;/" climbs there)`;
    const decoded = normalizePercent(raw);
    if ((decoded === '.' || decoded === '..') && raw !== decoded)
      return `${shown} is an encoded dot segment, which servers resolve or not`;
    if (raw === '' && i < segments.length - 1)
      return `the path has an empty segment ("//"), which some servers merge`;
  }
  return null;
}

export interface PathGlob {
  /** The glob as written. */
  source: string;
  regex: RegExp;
}

/** Why a path glob is not valid, or null when it is. */
export function checkPathGlob(glob: string): string | null {
  if (!glob.startsWith('/')) return `path glob "${glob}" must start with "/"`;
  if (/\s/.test(glob)) return `path glob "${glob}" contains a space; write it percent-encoded (%20)`;
  if (glob.includes('#')) return `path glob "${glob}" contains "#"; fragments are never sent to servers`;
  if (glob.includes('***'))
    return `path glob "${glob}" has "***"; use "*" (within a segment) or "**" (across)`;
  if (/%(?![0-9A-Fa-f]{2})/.test(glob)) return `path glob "${glob}" has a "%" not followed by two hex digits`;
  const segments = normalizePercent(glob).slice(1).split('/');
  if (segments.some((s) => s === '.' || s === '..')) {
    return `path glob "${glob}" contains a "." or ".." segment; paths are matched after those are resolved, so it would never match`;
  }
  return null;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compile a path glob: `*` any characters except `/`, `**` any characters including `/`,
 * `?` one character except `/`; a trailing `/**` also matches the bare prefix, and `**` as a
 * whole middle segment also spans zero segments (`/a/` + `**` + `/b` matches `/a/b`). Case-sensitive.
 * Throws on an invalid glob (see checkPathGlob).
 */
export function compilePathGlob(glob: string): PathGlob {
  const problem = checkPathGlob(glob);
  if (problem) throw new Error(problem);
  let body = normalizePercent(glob);
  let tail = '';
  if (body.endsWith('/**')) {
    body = body.slice(0, -3);
    tail = '(?:/.*)?';
  }
  let pattern = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c === '/' && body.startsWith('**/', i + 1)) {
      // A whole `**` segment spans zero or more segments: `/a/` `**` `/b` matches `/a/b` and `/a/x/y/b`.
      pattern += '/(?:.*/)?';
      i += 3;
    } else if (c === '*') {
      if (body[i + 1] === '*') {
        pattern += '.*';
        i++;
      } else {
        pattern += '[^/]*';
      }
    } else if (c === '?') {
      pattern += '[^/]';
    } else {
      pattern += escapeRegex(c);
    }
  }
  return { source: glob, regex: new RegExp(`^${pattern}${tail}$`, 's') };
}

/** Match a normalized path against a compiled glob. */
export function matchPath(glob: PathGlob, path: string): boolean {
  return glob.regex.test(path);
}
