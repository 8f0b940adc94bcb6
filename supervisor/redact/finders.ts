// What finds a kind of thing in text: a regular expression, a set of literal values, or the
// e-mail finder. Text here is a "byte string": one character per byte of the UTF-8 text
// (Latin-1 view), so positions map back to the body's bytes and invalid UTF-8 passes as is.

import type { RedactAction } from '../api/index.ts';

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
  /** Push every match in `text` that starts at or after `from`. */
  find(text: string, from: number, out: Match[]): void;
}

/** A finder over global regular expressions (each with a bounded match length; a first group, if any, ends the match and is what is masked). */
export function regexFinder(
  kind: string,
  action: RedactAction,
  maxLength: number,
  patterns: RegExp[],
): Finder {
  return {
    kind,
    action,
    maxLength,
    find(text, from, out) {
      for (const re of patterns) {
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
    find(text, from, out) {
      let floor = from;
      for (let at = text.indexOf('@', from + 1); at !== -1; at = text.indexOf('@', at + 1)) {
        let start = at;
        while (start > floor && at - start < 64 && LOCAL.test(text[start - 1] as string)) start -= 1;
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
 * (fast on text without it), then its sticky pattern (which includes the prefix) is tried
 * there, at a word boundary.
 */
export function prefixFinder(
  kind: string,
  action: RedactAction,
  maxLength: number,
  entries: ReadonlyArray<readonly [prefix: string, sticky: RegExp]>,
  /** False: found inside a word too (a placeholder glued to other text). */
  wordStart = true,
): Finder {
  return {
    kind,
    action,
    maxLength,
    find(text, from, out) {
      for (const [prefix, re] of entries) {
        for (let at = text.indexOf(prefix, from); at !== -1; at = text.indexOf(prefix, at + 1)) {
          if (wordStart && at > 0 && WORD.test(text[at - 1] as string)) continue;
          re.lastIndex = at;
          const m = re.exec(text);
          if (!m) continue;
          out.push({ start: at, end: at + m[0].length, kind, action });
          at += m[0].length - 1;
        }
      }
    },
  };
}
