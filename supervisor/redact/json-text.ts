// JSON string escapes as the model reads them, over byte strings (one character per byte):
// `\u0040` is an `@`, `\n` a newline, a pair of `\uD83D\uDE00` the emoji's UTF-8 bytes.
// Decoding is a few native replaces (a callback only for `\u` escapes); where each escape
// and each string's own quotes sit (needed only to mask a match, and to keep a match inside
// one string) is worked out again when a match is found.

/** An escape, or a quote that ends or starts a string. */
const TOKEN = /\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\[^u]|"/g;

const SIMPLE: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

function decodeToken(token: string): string {
  if (token === '"') return '"';
  if (token.length === 2) return SIMPLE[token[1] as string] ?? (token[1] as string);
  if (token.length === 12) {
    const hi = Number.parseInt(token.slice(2, 6), 16);
    const lo = Number.parseInt(token.slice(8, 12), 16);
    return Buffer.from(
      String.fromCodePoint(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)),
      'utf8',
    ).toString('latin1');
  }
  return Buffer.from(String.fromCharCode(Number.parseInt(token.slice(2), 16)), 'utf8').toString('latin1');
}

const UNICODE = /\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}/g;

/** The text of raw JSON bytes as detectors read it. */
export function decodeJson(raw: string): string {
  if (!raw.includes('\\')) return raw;
  // `\\` first, to a byte no valid JSON string holds raw, so `\\n` stays a backslash and an n.
  let t = raw.replaceAll('\\\\', '\x01');
  // A `\u005c` is a backslash too: held as the same byte, so it does not pair with what follows.
  if (t.includes('\\u'))
    t = t.replace(UNICODE, (token) =>
      token === '\\u005c' || token === '\\u005C' ? '\x01' : decodeToken(token),
    );
  for (const [from, to] of SIMPLE_PAIRS) if (t.includes(from)) t = t.replaceAll(from, to);
  return t.replaceAll('\x01', '\\');
}

const SIMPLE_PAIRS: Array<[string, string]> = Object.entries(SIMPLE)
  .filter(([k]) => k !== '\\')
  .map(([k, v]) => [`\\${k}`, v]);

/** Where decoded and raw differ: each escape. */
export interface Span {
  dec: number;
  dlen: number;
  raw: number;
  rlen: number;
}

/** A `\u` escape of an ASCII character (or what looks like one after an escaped backslash). */
const ASCII_ESCAPE = /\\u00[0-7][0-9a-fA-F]/;

/** True when `raw` holds no `\u` escape that could make an ASCII character: see Finder.mayMatch. */
export function plainJson(raw: string): boolean {
  return !raw.includes('\\u') || !ASCII_ESCAPE.test(raw);
}

/** The escapes of `raw`, and the decoded offsets of the quotes that start or end its strings. */
export function spansOf(raw: string): { spans: Span[]; quotes: number[] } {
  const spans: Span[] = [];
  const quotes: number[] = [];
  let shift = 0;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(raw); m !== null; m = TOKEN.exec(raw)) {
    if (m[0] === '"') {
      quotes.push(m.index - shift);
      continue;
    }
    const dlen = decodeToken(m[0]).length;
    spans.push({ dec: m.index - shift, dlen, raw: m.index, rlen: m[0].length });
    shift += m[0].length - dlen;
  }
  return { spans, quotes };
}

/** The length of the raw prefix that ends on no escape's middle, at most `at` long. */
export function safeCut(raw: string, at: number): number {
  // An escape is at most 12 characters: look back that far for a backslash that starts one.
  for (let p = at - 1; p >= 0 && p >= at - 12; p--) {
    if (raw[p] !== '\\') continue;
    let run = 1;
    while (p - run >= 0 && raw[p - run] === '\\') run += 1;
    if (run % 2 === 0) return at; // the backslashes pair up: `\\`
    TOKEN.lastIndex = p;
    const m = TOKEN.exec(raw);
    const needs = raw[p + 1] === 'u' || raw[p + 1] === undefined ? 6 : 2;
    const end = m && m.index === p ? p + m[0].length : p + needs;
    return end > at ? p : at;
  }
  return at;
}

/** The raw text cut where a chunk ends inside an escape: what may be decoded now and what waits. */
export function splitTrailingEscape(raw: string): [string, string] {
  const cut = safeCut(raw, raw.length);
  return [raw.slice(0, cut), raw.slice(cut)];
}
