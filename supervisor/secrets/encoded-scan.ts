// Finding placeholders the agent wrapped in a common encoding, so the exfiltration alarm
// rings for them too (security model rule 1): any letter case, percent-encoding, and base64
// (standard or url-safe, at any of the three alignments, of the lower- or upper-case token).
// Tokens are returned lower-cased, the form the registry knows. Streams keep a small carry, so
// a token cut across chunks is found; the work per chunk is a few native `indexOf` passes.

import { PLACEHOLDER_BODY_LENGTH, PLACEHOLDER_PREFIX } from './scanner.ts';

const TOKEN = new RegExp(`${PLACEHOLDER_PREFIX}[0-9a-z]{${PLACEHOLDER_BODY_LENGTH}}`, 'gi');
const TOKEN_LENGTH = PLACEHOLDER_PREFIX.length + PLACEHOLDER_BODY_LENGTH;
/** `h_` is where every spelling of the prefix can be found from ("wdn_p" before it). */
const CASE_ANCHORS = [Buffer.from('h_'), Buffer.from('H_')];
const BEFORE_ANCHOR = PLACEHOLDER_PREFIX.indexOf('h_');

interface Base64Needle {
  bytes: Buffer;
  /** Characters from the start of the 4-character group to the needle. */
  back: number;
  /** Characters to decode from the group's start to cover a whole token. */
  span: number;
}

/** The base64 characters fixed by the prefix alone, for each alignment, case and alphabet. */
function base64Needles(): Base64Needle[] {
  const out: Base64Needle[] = [];
  const seen = new Set<string>();
  for (const prefix of [PLACEHOLDER_PREFIX, PLACEHOLDER_PREFIX.toUpperCase()]) {
    for (let align = 0; align < 3; align++) {
      const encoded = Buffer.concat([Buffer.alloc(align), Buffer.from(prefix)]).toString('base64');
      const first = Math.ceil((8 * align) / 6);
      const last = Math.floor((8 * (align + prefix.length)) / 6);
      const core = encoded.slice(first, last);
      const span = Math.ceil((align + TOKEN_LENGTH) / 3) * 4;
      for (const text of [core, core.replace(/\+/g, '-').replace(/\//g, '_')]) {
        if (seen.has(text)) continue;
        seen.add(text);
        out.push({ bytes: Buffer.from(text), back: first, span });
      }
    }
  }
  return out;
}

const BASE64_NEEDLES = base64Needles();
const LONGEST_SPAN = Math.max(...BASE64_NEEDLES.map((n) => n.span));
/** Bytes kept from one chunk to the next: enough for a whole base64-encoded token. */
const CARRY = LONGEST_SPAN + 4;

function isBase64Char(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2b ||
    c === 0x2f ||
    c === 0x2d ||
    c === 0x5f
  );
}

function tokensIn(text: string, out: Set<string>): void {
  for (const m of text.matchAll(TOKEN)) out.add(m[0].toLowerCase());
}

/** Every token in `buf`, in any case or base64-encoded. */
function scanWindow(buf: Buffer, out: Set<string>): void {
  for (const anchor of CASE_ANCHORS) {
    let at = buf.indexOf(anchor);
    while (at !== -1) {
      const start = at - BEFORE_ANCHOR;
      if (start >= 0 && start + TOKEN_LENGTH <= buf.length) {
        tokensIn(buf.toString('latin1', start, start + TOKEN_LENGTH), out);
      }
      at = buf.indexOf(anchor, at + 1);
    }
  }
  for (const needle of BASE64_NEEDLES) {
    let at = buf.indexOf(needle.bytes);
    while (at !== -1) {
      const start = at - needle.back;
      let end = start;
      const limit = Math.min(buf.length, start + needle.span);
      while (end < limit && isBase64Char(buf[end] as number)) end++;
      if (start >= 0)
        tokensIn(Buffer.from(buf.toString('latin1', start, end), 'base64').toString('latin1'), out);
      at = buf.indexOf(needle.bytes, at + 1);
    }
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Percent-decoding for a stream: a `%` or `%X` at the end of a chunk waits for the next. */
export function createPercentDecoder(): { push(chunk: Buffer): Buffer; end(): Buffer } {
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      if (pending.length === 0 && chunk.indexOf(0x25) === -1) return chunk;
      const buf = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      const out = Buffer.allocUnsafe(buf.length);
      let n = 0;
      let i = 0;
      let cut = false;
      // Copy the runs between `%` signs natively; decode only the escapes.
      for (let at = buf.indexOf(0x25); at !== -1; at = buf.indexOf(0x25, i)) {
        n += buf.copy(out, n, i, at);
        i = at;
        if (at + 2 >= buf.length) {
          cut = true; // `%` or `%X` at the end: wait for the rest
          break;
        }
        const hi = hexValue(buf[at + 1] as number);
        const lo = hexValue(buf[at + 2] as number);
        if (hi < 0 || lo < 0) {
          out[n++] = 0x25;
          i = at + 1;
          continue;
        }
        out[n++] = (hi << 4) | lo;
        i = at + 3;
      }
      if (!cut) {
        n += buf.copy(out, n, i);
        i = buf.length;
      }
      pending = Buffer.from(buf.subarray(i));
      return out.subarray(0, n);
    },
    end() {
      const rest = pending;
      pending = Buffer.alloc(0);
      return rest;
    },
  };
}

export interface DeepScanner {
  /** Tokens completed by this chunk, each reported once per stream. */
  push(chunk: Buffer): string[];
  /** Tokens in what was held back at the end of the stream. */
  end(): string[];
}

/** A scanner for a streamed body: percent-decoded, then searched in any case and in base64. */
export function createDeepScanner(): DeepScanner {
  const percent = createPercentDecoder();
  const reported = new Set<string>();
  let carry: Buffer = Buffer.alloc(0);
  const scan = (decoded: Buffer): string[] => {
    const buf = carry.length > 0 ? Buffer.concat([carry, decoded]) : decoded;
    const found = new Set<string>();
    scanWindow(buf, found);
    carry = Buffer.from(buf.subarray(Math.max(0, buf.length - CARRY)));
    const fresh = [...found].filter((t) => !reported.has(t));
    for (const t of fresh) reported.add(t);
    return fresh;
  };
  return {
    push: (chunk) => scan(percent.push(chunk)),
    end: () => scan(percent.end()),
  };
}

/**
 * What `scanWindow` or the percent rounds start from, as text: a string holding none of
 * these (and no character above U+00FF, which latin1 bytes would fold onto ASCII) holds no
 * token in any encoding. Most headers hold none, so they skip the Buffer and native scans.
 */
const QUICK_NEEDLES = [
  '%',
  ...CASE_ANCHORS.map((b) => b.toString('latin1')),
  ...BASE64_NEEDLES.map((n) => n.bytes.toString('latin1')),
];
/** One pass for all of them (a literal alternation runs ~4x faster than an `includes` each). */
const MAY_HOLD = new RegExp(
  `${QUICK_NEEDLES.map((n) => n.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|')}|[^\\x00-\\xff]`,
);

/** Could `text` hold a token, raw or encoded? False only when `scanWindow` would find none. */
export function mayHoldPlaceholder(text: string): boolean {
  return MAY_HOLD.test(text);
}

/** Every token in a header value or URL, raw or encoded (percent-encoding undone twice). */
export function findPlaceholdersDeep(text: string | Buffer): string[] {
  if (typeof text === 'string' && !mayHoldPlaceholder(text)) return [];
  const found = new Set<string>();
  let buf = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  for (let round = 0; round < 3; round++) {
    scanWindow(buf, found);
    if (buf.indexOf(0x25) === -1) break;
    const d = createPercentDecoder();
    buf = Buffer.concat([d.push(buf), d.end()]);
  }
  return [...found];
}
