// The raw bytes of a request body as it streams, held only as far as a match may reach back,
// with how detectors read them (a JSON body's escapes decoded; see json-text.ts). Both are
// byte strings (one character per byte). With nothing found, the raw prefix is sent as is;
// a match is masked on the raw bytes it came from, found through the escapes' spans. Before
// decoding, a cheap look tells which finders may match at all (none: the window is quiet);
// when those all read raw JSON as decoded (Finder.rawSafe), they search it without decoding.

import type { Finder, Match } from './finders.ts';
import type { JsonText, Span } from './json-text.ts';

/** A request body that must not go upstream: a `block` rule matched. */
export class RedactionBlocked extends Error {
  constructor(readonly kind: string) {
    super(`the request body carries what the redaction rule ${kind} blocks`);
    this.name = 'RedactionBlocked';
  }
}

export interface WindowRules {
  finders: readonly Finder[];
  /** The mask for a match of `kind` whose decoded text is `value`. */
  mask(kind: string, value: string): string;
}

/** How raw bytes read (identity for text; JSON escapes decoded for JSON). */
export interface Reading {
  /** The text, its escapes, and the decoded offsets of quotes no match may span (a JSON string's own). */
  read(raw: string): JsonText;
  /** The longest prefix of `raw` no longer than `at` that ends on no escape's middle. */
  safeCut(raw: string, at: number): number;
  /** Most raw characters one decoded character may come from (6 for `\u0041`). */
  expansion: number;
  /** Does every plain literal read the same in `raw` and decoded (Finder.mayMatch)? */
  plain(raw: string): boolean;
  /** Raw text with escapes (JSON): `rawSafe` finders may search it as it is when `plain`. */
  escaped: boolean;
}

export const TEXT_READING: Reading = {
  plain: () => true,
  escaped: false,
  read: (text) => ({ text, spans: [], quotes: [] }),
  safeCut: (_raw, at) => at,
  expansion: 1,
};

/** Least raw text scanned at once besides the overlap (fewer passes over the overlap). */
const BATCH = 64 * 1024;

/** Decoded text kept before the pending text, for `\b` and word checks. */
const CONTEXT = 64;

/** No escapes: raw text read as it is. */
const NONE: never[] = [];

export class TextWindow {
  #ctx = '';
  /** The raw text before the pending text (from an escape's start), for a search of it as it is. */
  #rawCtx = '';
  #raw = '';
  readonly #overlap: number;
  readonly counts: Record<string, number> = {};

  constructor(
    private readonly rules: WindowRules,
    private readonly reading: Reading = TEXT_READING,
  ) {
    // A short match may be escaped character by character (a key as `\u0041…`); a long one
    // (a PEM block) is mostly plain text with a newline escape per line.
    const short = rules.finders
      .filter((f) => f.maxLength <= 1024)
      .reduce((m, f) => Math.max(m, f.maxLength), 0);
    const longest = rules.finders.reduce((m, f) => Math.max(m, f.maxLength), 0);
    this.#overlap = Math.max(short * reading.expansion, longest * 2) + CONTEXT;
  }

  append(raw: string): void {
    this.#raw += raw;
  }

  get pending(): number {
    return this.#raw.length;
  }

  /** The raw bytes that may be sent now (all of them when `final`), masked. */
  flush(final: boolean): string {
    const raw = this.#raw;
    // Scanning again what the window keeps costs: wait for a batch worth it (bounded).
    if (!final && raw.length <= this.#overlap + Math.max(this.#overlap, BATCH)) return '';
    const { reading } = this;
    let rawCut = final ? raw.length : reading.safeCut(raw, raw.length - this.#overlap);
    const plain = reading.plain(raw);
    const finders = this.#candidates(raw, plain);
    if (finders.length === 0) {
      // Nothing to find: the raw bytes go as they are.
      this.#keep(raw, rawCut);
      return raw.slice(0, rawCut);
    }
    // Finders that read raw JSON as decoded search it without decoding it (nor mapping back).
    const asRaw = plain && reading.escaped && finders.every((f) => f.rawSafe === true);
    const { text, spans, quotes } = asRaw ? { text: raw, spans: NONE, quotes: NONE } : reading.read(raw);
    let cut = final ? text.length : decodedAt(spans, rawCut);
    const matches = this.#find(text, finders, asRaw);
    const blocking = matches.find((m) => m.action === 'block');
    if (blocking) throw new RedactionBlocked(blocking.kind);
    let out = '';
    if (matches.length > 0 && (matches[0] as Match).start < cut) {
      let rawPos = 0;
      for (const m of matches) {
        if (m.start >= cut) break;
        // A match ends at its string's closing quote.
        const q = firstAfter(quotes, m.start);
        if (q !== undefined && q < m.end) m.end = q;
        if (m.end <= m.start) continue;
        const rawStart = rawAt(spans, m.start, false);
        if (rawStart < rawPos) continue;
        out += raw.slice(rawPos, rawStart) + this.rules.mask(m.kind, text.slice(m.start, m.end));
        rawPos = rawAt(spans, m.end, true);
        this.counts[m.kind] = (this.counts[m.kind] ?? 0) + 1;
        if (m.end > cut) cut = m.end;
      }
      cut = roundUp(spans, cut);
      rawCut = Math.max(rawPos, rawAt(spans, cut, true));
      out += raw.slice(rawPos, rawCut);
    } else {
      out = raw.slice(0, rawCut);
    }
    this.#keep(raw, rawCut);
    return out;
  }

  /** Keeps what follows `rawCut` pending, and the context before it (decoded, and raw). */
  #keep(raw: string, rawCut: number): void {
    const { reading } = this;
    const from = reading.safeCut(raw, Math.max(0, rawCut - CONTEXT * reading.expansion));
    this.#ctx = (this.#ctx + reading.read(raw.slice(from, rawCut)).text).slice(-CONTEXT);
    if (reading.escaped) {
      // From an escape's start, so that the search sees whole escapes.
      if (rawCut >= CONTEXT) this.#rawCtx = raw.slice(reading.safeCut(raw, rawCut - CONTEXT), rawCut);
      else {
        const tail = this.#rawCtx + raw.slice(0, rawCut);
        this.#rawCtx = tail.slice(reading.safeCut(tail, Math.max(0, tail.length - CONTEXT)));
      }
    }
    this.#raw = raw.slice(rawCut);
  }

  /**
   * The finders that may match in `raw`, told without decoding or searching it all (none: the
   * window is quiet): those that cannot tell cheaply, and those whose literal is in it. All of
   * them when an escape could hide a literal.
   */
  #candidates(raw: string, plain: boolean): readonly Finder[] {
    const { finders } = this.rules;
    if (!plain) return finders;
    return finders.filter((f) => f.mayMatch === undefined || f.mayMatch(raw));
  }

  /** The matches of `finders` in the pending text, ordered, without overlaps (the longest at a start wins). */
  #find(text: string, finders: readonly Finder[], asRaw: boolean): Match[] {
    const ctx = asRaw ? this.#rawCtx : this.#ctx;
    const full = ctx.length > 0 ? ctx + text : text;
    const found: Match[] = [];
    for (const f of finders) f.find(full, ctx.length, found, asRaw);
    if (found.length === 0) return found;
    for (const m of found) {
      m.start -= ctx.length;
      m.end -= ctx.length;
      const nul = text.indexOf('\0', m.start);
      if (nul !== -1 && nul < m.end) m.end = nul;
    }
    found.sort((a, b) => a.start - b.start || b.end - a.end);
    const out: Match[] = [];
    let end = 0;
    for (const m of found) {
      if (m.end <= m.start) continue;
      if (m.action === 'block') {
        out.push(m);
        continue;
      }
      if (m.start < end) continue;
      out.push(m);
      end = m.end;
    }
    return out;
  }
}

/** The first of the sorted `xs` above `d`. */
function firstAfter(xs: readonly number[], d: number): number | undefined {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) <= d) lo = mid + 1;
    else hi = mid;
  }
  return xs[lo];
}

/** The last span starting at or before `d`, by binary search. */
function spanAt(spans: readonly Span[], d: number): Span | undefined {
  let lo = 0;
  let hi = spans.length - 1;
  let best: Span | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = spans[mid] as Span;
    if (s.dec <= d) {
      best = s;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** The decoded offset of raw offset `r`, which is on no escape's middle. */
function decodedAt(spans: readonly Span[], r: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((spans[mid] as Span).raw < r) lo = mid + 1;
    else hi = mid;
  }
  const s = spans[lo - 1];
  return s ? s.dec + s.dlen + (r - s.raw - s.rlen) : r;
}

/** The raw offset of decoded offset `d`; inside an escape, its start (or its end when `up`). */
function rawAt(spans: readonly Span[], d: number, up: boolean): number {
  const s = spanAt(spans, d);
  if (!s) return d;
  if (d === s.dec) return s.raw;
  if (d < s.dec + s.dlen) return up ? s.raw + s.rlen : s.raw;
  return s.raw + s.rlen + (d - s.dec - s.dlen);
}

/** `d`, moved to the end of the escape it falls inside. */
function roundUp(spans: readonly Span[], d: number): number {
  const s = spanAt(spans, d);
  if (s && d > s.dec && d < s.dec + s.dlen) return s.dec + s.dlen;
  return d;
}
