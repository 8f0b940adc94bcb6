// What finds a kind of thing in text: a regular expression, a set of literal values, or the
// e-mail finder. Text here is a "byte string": one character per byte of the UTF-8 text
// (Latin-1 view), so positions map back to the body's bytes and invalid UTF-8 passes as is.

import type { RedactAction } from '../api/index.ts';
import { escapeEndsAt, escapeLetterAt } from './json-text.ts';

export interface Match {
  start: number;
  end: number;
  kind: string;
  action: RedactAction;
}

export interface Finder {
  /** The detector or custom rule name (in masks and audit counts). */
  kind: string;
  action: RedactAction;
  /** The longest match it can make: the overlap kept between chunks. */
  maxLength: number;
  /**
   * Push every match in `text` that starts at or after `from`. `raw`: the text is raw JSON
   * (only a `rawSafe` finder is asked so): no match may start in, hold or end in an escape,
   * and the end of an escape before a match is no word character.
   */
  find(text: string, from: number, out: Match[], raw?: boolean): void;
  /**
   * True when it finds the same in raw JSON (see `find`) as in the text decoded, as long as
   * the raw holds no `\u` escape of an ASCII character: no character it matches is one an
   * escape stands for, so a window of such finders is searched without decoding it.
   */
  rawSafe?: boolean;
  /**
   * False only when no match can be in `raw`, read with its JSON escapes decoded or not, as
   * long as it holds no `\u` escape of an ASCII character (window.ts checks that): a cheap
   * look for what every match must hold as plain text. Absent: it cannot tell (a custom
   * pattern), and the text is always decoded and searched.
   */
  mayMatch?(raw: string): boolean;
}

/**
 * Characters from rarest to commonest in prompts (prose and code), roughly: a native search
 * for a literal skips fastest over text where its first character is rare.
 */
const RARITY = '~@QJZXKVYBPGFWMUCHLDRSNIOTAE=_-0123456789zqjxkvbpygfwmucldrhsnioate';

function rarity(c: string): number {
  const i = RARITY.indexOf(c);
  return i === -1 ? RARITY.length : i;
}

/** A literal to look for from its rarest character on (`probe`), and what comes before that. */
export interface Probe {
  probe: string;
  head: string;
  back: number;
}

export function probeOf(literal: string): Probe {
  let back = 0;
  for (let i = 1; i < literal.length; i++) {
    if (rarity(literal[i] as string) < rarity(literal[back] as string)) back = i;
  }
  return { probe: literal.slice(back), head: literal.slice(0, back), back };
}

/** Where the literal of `p` starts in `text` at or after `from` (-1: nowhere). */
export function indexOfProbe(text: string, p: Probe, from = 0): number {
  for (let q = text.indexOf(p.probe, from + p.back); q !== -1; q = text.indexOf(p.probe, q + 1)) {
    if (p.back === 0 || text.startsWith(p.head, q - p.back)) return q - p.back;
  }
  return -1;
}

/**
 * A literal that reads the same in raw JSON and decoded: none of the characters a simple
 * escape stands for (quote, backslash, slash, controls) and nothing a `\u` escape of a
 * non-ASCII character could make.
 */
const PLAIN = /^[^"\\/\x00-\x1f\x7f-\xff]*$/;

export function isPlain(literal: string): boolean {
  return PLAIN.test(literal);
}

/** Is the literal (or a pattern's probe) in `text`? A pattern probe is tested from the start. */
function holds(text: string, probe: Probe | RegExp): boolean {
  return probe instanceof RegExp ? probe.test(text) : indexOfProbe(text, probe) !== -1;
}

/**
 * A pattern, alone or with its probe: a plain literal (or a non-global pattern) every match
 * holds, looked for first so that text without it costs one native search.
 */
export type Pattern = RegExp | readonly [RegExp, string | RegExp];

/** A finder over global regular expressions (each with a bounded match length; a first group, if any, ends the match and is what is masked). */
export function regexFinder(
  kind: string,
  action: RedactAction,
  maxLength: number,
  patterns: readonly Pattern[],
): Finder {
  const pairs = patterns.map((p) => {
    if (p instanceof RegExp) return [p, undefined] as const;
    const [re, probe] = p;
    return [re, typeof probe === 'string' ? probeOf(probe) : probe] as const;
  });
  const probes = pairs.map(([, probe]) => probe);
  const probed = patterns.every((p) => !(p instanceof RegExp) && (typeof p[1] !== 'string' || isPlain(p[1])));
  return {
    kind,
    action,
    maxLength,
    ...(probed && { mayMatch: (raw: string) => probes.some((p) => holds(raw, p as Probe | RegExp)) }),
    find(text, from, out) {
      for (const [re, probe] of pairs) {
        if (probe !== undefined && !holds(from > 0 ? text.slice(from) : text, probe)) continue;
        re.lastIndex = from;
        for (let m = re.exec(text); m !== null; m = re.exec(text)) {
          if (m[0].length === 0) {
            re.lastIndex += 1;
            continue;
          }
          const end = m.index + m[0].length;
          // A group is the part masked; it ends the match.
          const start = m[1] !== undefined ? end - m[1].length : m.index;
          out.push({ start, end, kind, action });
        }
      }
    },
  };
}

/** A finder of literal values (byte strings), each found wherever it occurs. */
export function literalFinder(kind: string, action: RedactAction, values: readonly string[]): Finder {
  const needles = [...new Set(values.filter((v) => v.length > 0))];
  return {
    kind,
    action,
    maxLength: needles.reduce((m, v) => Math.max(m, v.length), 0),
    mayMatch: (raw) => needles.some((v) => !isPlain(v) || raw.includes(v)),
    find(text, from, out) {
      for (const v of needles) {
        for (let at = text.indexOf(v, from); at !== -1; at = text.indexOf(v, at + v.length)) {
          out.push({ start: at, end: at + v.length, kind, action });
        }
      }
    },
  };
}

const LOCAL = /[A-Za-z0-9._%+-]/;
const DOMAIN = /[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])/y;

/** E-mail addresses (ASCII): found from each `@`, so text without one costs one search. */
export function emailFinder(action: RedactAction): Finder {
  return {
    kind: 'email',
    action,
    maxLength: 64 + 1 + 253,
    mayMatch: (raw) => raw.includes('@'),
    // Its characters are none an escape stands for; in raw JSON, its local part stops at an escape.
    rawSafe: true,
    find(text, from, out, raw = false) {
      let floor = from;
      for (let at = text.indexOf('@', from + 1); at !== -1; at = text.indexOf('@', at + 1)) {
        let start = at;
        while (
          start > floor &&
          at - start < 64 &&
          LOCAL.test(text[start - 1] as string) &&
          !(raw && escapeEndsAt(text, start))
        )
          start -= 1;
        if (start === at || text[start] === '.') continue;
        DOMAIN.lastIndex = at + 1;
        const m = DOMAIN.exec(text);
        if (!m) continue;
        const end = at + 1 + m[0].length;
        out.push({ start, end, kind: 'email', action });
        floor = end;
        at = end - 1;
      }
    },
  };
}

const WORD = /[A-Za-z0-9_]/;

/**
 * A finder of tokens that start with a literal prefix: each prefix is found with `indexOf`
 * from its rarest character on (fast on text without it), then its sticky pattern is tried
 * where the whole prefix starts, at a word boundary. Its sticky patterns match no quote,
 * backslash, slash, control or non-ASCII character, so it is `rawSafe` (with plain prefixes).
 */
export function prefixFinder(
  kind: string,
  action: RedactAction,
  maxLength: number,
  entries: ReadonlyArray<readonly [prefix: string, sticky: RegExp]>,
  /** False: found inside a word too (a placeholder glued to other text). */
  wordStart = true,
): Finder {
  const probes = entries.map(([prefix, re]) => ({ ...probeOf(prefix), re }));
  const plain = entries.every(([prefix]) => isPlain(prefix));
  return {
    kind,
    action,
    maxLength,
    ...(plain && { mayMatch: (raw: string) => probes.some((p) => indexOfProbe(raw, p) !== -1) }),
    // Its patterns match none of the characters an escape stands for (callers keep it so).
    rawSafe: plain,
    find(text, from, out, raw = false) {
      for (const p of probes) {
        for (let at = indexOfProbe(text, p, from); at !== -1; at = indexOfProbe(text, p, at + 1)) {
          if (raw && escapeLetterAt(text, at)) continue;
          if (wordStart && at > 0 && WORD.test(text[at - 1] as string) && !(raw && escapeEndsAt(text, at)))
            continue;
          p.re.lastIndex = at;
          const m = p.re.exec(text);
          if (!m) continue;
          out.push({ start: at, end: at + m[0].length, kind, action });
          at += m[0].length - 1;
        }
      }
    },
  };
}
