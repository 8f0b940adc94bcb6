// The text of a request body as it streams, held only as far as a match may reach back: the
// decoded text (what detectors read) beside the raw bytes (what is sent on), with the spans
// where they differ (JSON escapes), so a match in the decoded text masks the right bytes.
// Both are byte strings (one character per byte). A JSON string's quotes are `\0` in the
// decoded text, so no match spans two strings (a match is cut at the first `\0`).

import type { Finder, Match } from './finders.ts';

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

/** Decoded text kept before the pending text, for `\b` and lookbehinds. */
const CONTEXT = 64;

interface Span {
  /** Decoded start and length, raw start and length (relative to the pending text). */
  dec: number;
  dlen: number;
  raw: number;
  rlen: number;
}

export class TextWindow {
  #ctx = '';
  #text = '';
  #raw = '';
  #spans: Span[] = [];
  readonly #overlap: number;
  readonly counts: Record<string, number> = {};

  constructor(private readonly rules: WindowRules) {
    const longest = rules.finders.reduce((m, f) => Math.max(m, f.maxLength), 0);
    this.#overlap = longest + CONTEXT;
  }

  /** Bytes whose decoded text is the same length (`decoded` may differ only in quote marks). */
  plain(raw: string, decoded: string = raw): void {
    this.#text += decoded;
    this.#raw += raw;
  }

  /** An escape: `raw` (e.g. `\u0040`) reads as `decoded` (its UTF-8 bytes). */
  escape(raw: string, decoded: string): void {
    this.#spans.push({
      dec: this.#text.length,
      dlen: decoded.length,
      raw: this.#raw.length,
      rlen: raw.length,
    });
    this.#text += decoded;
    this.#raw += raw;
  }

  get pending(): number {
    return this.#text.length;
  }

  /** The raw bytes that may be sent now (all of them when `final`), masked. */
  flush(final: boolean): string {
    const text = this.#text;
    if (!final && text.length <= this.#overlap) return '';
    let cut = final ? text.length : text.length - this.#overlap;
    const matches = this.#find();
    const blocking = matches.find((m) => m.action === 'block');
    if (blocking) throw new RedactionBlocked(blocking.kind);
    let out = '';
    let rawPos = 0;
    for (const m of matches) {
      if (m.start >= cut) break;
      const rawStart = this.#rawAt(m.start, false);
      if (rawStart < rawPos) continue;
      out += this.#raw.slice(rawPos, rawStart) + this.rules.mask(m.kind, text.slice(m.start, m.end));
      rawPos = this.#rawAt(m.end, true);
      this.counts[m.kind] = (this.counts[m.kind] ?? 0) + 1;
      if (m.end > cut) cut = m.end;
    }
    cut = this.#roundUp(cut);
    const rawCut = Math.max(rawPos, this.#rawAt(cut, true));
    out += this.#raw.slice(rawPos, rawCut);
    this.#ctx = (this.#ctx + text.slice(Math.max(0, cut - CONTEXT), cut)).slice(-CONTEXT);
    this.#text = text.slice(cut);
    this.#raw = this.#raw.slice(rawCut);
    this.#spans = this.#spans
      .filter((s) => s.dec >= cut)
      .map((s) => ({ ...s, dec: s.dec - cut, raw: s.raw - rawCut }));
    return out;
  }

  /** The matches in the pending text, ordered, without overlaps (the longest at a start wins). */
  #find(): Match[] {
    const ctx = this.#ctx;
    const full = ctx + this.#text;
    const found: Match[] = [];
    for (const f of this.rules.finders) f.find(full, ctx.length, found);
    if (found.length === 0) return found;
    for (const m of found) {
      m.start -= ctx.length;
      m.end -= ctx.length;
      const nul = this.#text.indexOf('\0', m.start);
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

  /** The last span starting at or before `d`, by binary search. */
  #spanAt(d: number): Span | undefined {
    const spans = this.#spans;
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

  /** The raw offset of decoded offset `d`; inside an escape, its start (or its end when `up`). */
  #rawAt(d: number, up: boolean): number {
    const s = this.#spanAt(d);
    if (!s) return d;
    if (d === s.dec) return s.raw;
    if (d < s.dec + s.dlen) return up ? s.raw + s.rlen : s.raw;
    return s.raw + s.rlen + (d - s.dec - s.dlen);
  }

  /** `d`, moved to the end of the escape it falls inside. */
  #roundUp(d: number): number {
    const s = this.#spanAt(d);
    if (s && d > s.dec && d < s.dec + s.dlen) return s.dec + s.dlen;
    return d;
  }
}
