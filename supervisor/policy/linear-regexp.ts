// Custom regular expressions from a policy run on what an agent sends, so a pattern prone to
// catastrophic backtracking must not hang the proxy. Node's own engine is used, bounded:
// a pattern is accepted only if V8's linear-time engine (`/l`, no backreferences and no
// lookarounds) can run it, and V8 is told to switch a regular expression to that engine
// once it backtracks too much. So a match stays fast in the common case (the backtracking
// engine) and linear in the worst one, without a native dependency or a timeout.

import v8 from 'node:v8';

/** Backtracks after which V8 reruns a (linear-compatible) regular expression on its linear engine. */
const BACKTRACKS_BEFORE_FALLBACK = 50_000;

let enabled = false;

/** Turn on V8's linear engine and its fallback on excessive backtracking (once per process). */
export function enableLinearRegExp(): void {
  if (enabled) return;
  enabled = true;
  v8.setFlagsFromString('--enable-experimental-regexp-engine');
  v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  v8.setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}`);
}

/** Why `pattern` is not accepted as a custom redaction pattern, or null. */
export function linearPatternProblem(pattern: string): string | null {
  if (/[^\x00-\x7f]/.test(pattern)) {
    return 'the pattern has a non-ASCII character; patterns are matched against the UTF-8 bytes of the text, so write such a character as its \\xHH bytes';
  }
  try {
    new RegExp(pattern);
  } catch (error) {
    return `the pattern is not a valid regular expression (${(error as Error).message})`;
  }
  enableLinearRegExp();
  try {
    new RegExp(pattern, 'l');
  } catch {
    return 'the pattern cannot run in linear time (backreferences and lookarounds are not allowed), so it could stall the proxy on a hostile body';
  }
  if (new RegExp(pattern).test(''))
    return 'the pattern matches the empty text; it must match at least one character';
  return null;
}

/** A global regular expression for an accepted pattern (check it with linearPatternProblem first). */
export function compileLinear(pattern: string): RegExp {
  enableLinearRegExp();
  return new RegExp(pattern, 'g');
}
