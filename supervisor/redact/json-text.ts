// JSON string escapes as the model reads them, over byte strings (one character per byte):
// `\u0040` is an `@`, `\n` a newline, a pair of `\uD83D\uDE00` the emoji's UTF-8 bytes.
// One pass from backslash to backslash (native searches between them) gives the decoded text,
// where each escape sits in both, and where the quotes that start or end strings are (no match
// may span two strings). A backslash that starts no valid escape is kept as it is.

/** An escape, or a quote that ends or starts a string. */
const TOKEN = /\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\[^u]|"/g;

/** A `\u` escape (a surrogate pair first) where `lastIndex` is. */
const UNICODE = /\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}/y;

/** What each simple escape's letter stands for (by its char code). */
const SIMPLE: Array<string | undefined> = [];
for (const [k, v] of Object.entries({
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
})) {
  SIMPLE[k.charCodeAt(0)] = v;
}

/** The UTF-8 bytes (as a byte string) of a `\u` escape or a surrogate pair of them. */
function decodeUnicode(token: string): string {
  const hi = Number.parseInt(token.slice(2, 6), 16);
  const code =
    token.length === 12
      ? 0x10000 + ((hi - 0xd800) << 10) + (Number.parseInt(token.slice(8, 12), 16) - 0xdc00)
      : hi;
  if (code < 0x80) return String.fromCharCode(code);
  return Buffer.from(String.fromCodePoint(code), 'utf8').toString('latin1');
}

/** Where decoded and raw differ: each escape. */
export interface Span {
  dec: number;
  dlen: number;
  raw: number;
  rlen: number;
}

/** Raw JSON bytes as detectors read them, with where each escape and each string's quotes sit. */
export interface JsonText {
  text: string;
  spans: Span[];
  /** Decoded offsets of the quotes that start or end strings. */
  quotes: number[];
}

/** The text of raw JSON bytes as detectors read them, its escapes and its strings' quotes. */
export function readJson(raw: string): JsonText {
  const spans: Span[] = [];
  const quotes: number[] = [];
  let text = '';
  let prev = 0;
  let shift = 0;
  let quote = raw.indexOf('"');
  for (let at = raw.indexOf('\\'); at !== -1; at = raw.indexOf('\\', prev)) {
    for (; quote !== -1 && quote < at; quote = raw.indexOf('"', quote + 1)) quotes.push(quote - shift);
    const c = raw.charCodeAt(at + 1);
    let rlen = 2;
    let dec = SIMPLE[c];
    if (c === 117) {
      UNICODE.lastIndex = at;
      const m = UNICODE.exec(raw);
      if (m) {
        rlen = m[0].length;
        dec = decodeUnicode(m[0]);
      }
    }
    if (dec === undefined) {
      // Not an escape: the backslash stays, and what follows it is read as usual.
      text += raw.slice(prev, at + 1);
      prev = at + 1;
      continue;
    }
    text += raw.slice(prev, at) + dec;
    spans.push({ dec: at - shift, dlen: dec.length, raw: at, rlen });
    shift += rlen - dec.length;
    prev = at + rlen;
    if (quote !== -1 && quote < prev) quote = raw.indexOf('"', prev);
  }
  for (; quote !== -1; quote = raw.indexOf('"', quote + 1)) quotes.push(quote - shift);
  return { text: prev === 0 ? raw : text + raw.slice(prev), spans, quotes };
}

const HEX = /[0-9a-fA-F]/;

/**
 * True when `raw` holds no `\u` escape that could make an ASCII character (or what looks like
 * one after an escaped backslash): see Finder.mayMatch. Looked for from its `00`, rarer in
 * prose than a backslash.
 */
export function plainJson(raw: string): boolean {
  for (let at = raw.indexOf('00', 2); at !== -1; at = raw.indexOf('00', at + 1)) {
    const c = raw.charCodeAt(at + 2);
    if (c >= 0x30 && c <= 0x37 && raw.startsWith('\\u', at - 2) && HEX.test(raw.charAt(at + 3))) return false;
  }
  return true;
}

/** Is the backslash at `p` one that starts an escape (not the second of a `\\`)? */
function escapes(raw: string, p: number): boolean {
  let run = 1;
  while (p - run >= 0 && raw.charCodeAt(p - run) === 92) run += 1;
  return run % 2 === 1;
}

/**
 * Is raw JSON's character at `p` the letter of an escape (`n` of `\n`, `u` of `\u00e9`)? Not
 * after a backslash that starts no valid escape: readJson keeps both as they are.
 */
export function escapeLetterAt(raw: string, p: number): boolean {
  const c = raw.charCodeAt(p);
  const valid = c === 117 ? /^[0-9a-fA-F]{4}$/.test(raw.slice(p + 1, p + 5)) : SIMPLE[c] !== undefined;
  return valid && p >= 1 && raw.charCodeAt(p - 1) === 92 && escapes(raw, p - 1);
}

/** Does an escape (`\n`, `\u00e9`) end right before `p` in raw JSON? */
export function escapeEndsAt(raw: string, p: number): boolean {
  const c = raw.charCodeAt(p - 1);
  if (c !== 117 && SIMPLE[c] !== undefined && escapeLetterAt(raw, p - 1)) return true;
  return (
    p >= 6 &&
    raw.charCodeAt(p - 5) === 117 &&
    raw.charCodeAt(p - 6) === 92 &&
    /^[0-9a-fA-F]{4}$/.test(raw.slice(p - 4, p)) &&
    escapes(raw, p - 6)
  );
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
