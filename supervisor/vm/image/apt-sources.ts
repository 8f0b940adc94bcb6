// The host's Debian suite and package mirror, read from /etc/os-release and apt's sources
// (one-line *.list files and deb822 *.sources files), so a debootstrap build uses the
// same mirror apt already uses on this machine.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const FALLBACK_MIRROR = 'http://deb.debian.org/debian';

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  enabled: boolean;
}

/** VERSION_CODENAME from an os-release file (e.g. "bookworm"), if it has one. */
export function parseOsReleaseCodename(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = /^\s*VERSION_CODENAME\s*=\s*["']?([^"'\s]*)["']?\s*$/.exec(line);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** One-line format: `deb [opt=val ...] URI SUITE [COMPONENT...]`, comments with `#`. */
export function parseOneLineSources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const type = line.split(/\s+/, 1)[0]!;
    line = line.slice(type.length).trim();
    // Options in brackets come before the URI.
    if (line.startsWith('[')) {
      const end = line.indexOf(']');
      if (end < 0) continue;
      line = line.slice(end + 1).trim();
    }
    const [uri, suite, ...components] = line.split(/\s+/);
    if (!uri || !suite) continue;
    out.push({ types: [type], uris: [uri], suites: [suite], components, enabled: true });
  }
  return out;
}

/** deb822 format: stanzas separated by blank lines, `Field: value`, continuation lines indented. */
export function parseDeb822Sources(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+)\s*:\s*(.*)$/.exec(line);
      if (!m) continue;
      last = m[1]!.toLowerCase();
      fields.set(last, m[2]!.trim());
    }
    const words = (k: string): string[] => (fields.get(k) ?? '').split(/\s+/).filter((w) => w !== '');
    if (words('uris').length === 0) continue;
    out.push({
      types: words('types'),
      uris: words('uris'),
      suites: words('suites'),
      components: words('components'),
      enabled: !/^(no|false|0)$/i.test(fields.get('enabled') ?? 'yes'),
    });
  }
  return out;
}

/**
 * The first enabled binary (`deb`) source that carries SUITE itself (not SUITE-updates or
 * SUITE-security) with the main component, over a scheme debootstrap can fetch.
 */
export function pickMirror(sources: AptSource[], suite: string): string | undefined {
  for (const s of sources) {
    if (!s.enabled || !s.types.includes('deb') || !s.suites.includes(suite)) continue;
    if (s.components.length > 0 && !s.components.includes('main')) continue;
    const uri = s.uris.find((u) => /^(https?|file):/.test(u));
    if (uri) return uri.replace(/\/+$/, '');
  }
  return undefined;
}

/** Every source apt reads under ROOT (default /): sources.list, sources.list.d/*.list and *.sources. */
export function readAptSources(root = '/'): AptSource[] {
  const etc = path.join(root, 'etc', 'apt');
  const sources: AptSource[] = [];
  const main = path.join(etc, 'sources.list');
  if (existsSync(main)) sources.push(...parseOneLineSources(readFileSync(main, 'utf8')));
  const dir = path.join(etc, 'sources.list.d');
  const names = existsSync(dir) ? readdirSync(dir).sort() : [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (name.endsWith('.list')) sources.push(...parseOneLineSources(readFileSync(file, 'utf8')));
    else if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(readFileSync(file, 'utf8')));
  }
  return sources;
}

/** The host's suite, from /etc/os-release under ROOT. */
export function hostSuite(root = '/'): string {
  for (const f of ['etc/os-release', 'usr/lib/os-release']) {
    const file = path.join(root, f);
    if (!existsSync(file)) continue;
    const codename = parseOsReleaseCodename(readFileSync(file, 'utf8'));
    if (codename) return codename;
  }
  throw new Error(
    'cannot tell the host Debian suite (no VERSION_CODENAME in /etc/os-release): pass the suite, e.g. suite: "bookworm"',
  );
}

/** The host's mirror for SUITE, or Debian's redirector when apt's sources name none. */
export function hostMirror(suite: string, root = '/'): { mirror: string; fromHost: boolean } {
  const mirror = pickMirror(readAptSources(root), suite);
  return mirror ? { mirror, fromHost: true } : { mirror: FALLBACK_MIRROR, fromHost: false };
}
