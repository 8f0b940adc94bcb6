// A query string as a human is shown it on an approval card, in the CLI and in the audit:
// printable (control characters escaped), cut after a sensible length with how much was cut,
// and never hiding a secret placeholder: one the cut would split or drop is listed after it.

import { placeholdersIn } from '../api/placeholders.ts';

/** Characters of a query shown before it is cut. */
export const SHOWN_QUERY_LENGTH = 512;

/** Control characters, escaped as \xNN so a query cannot write to a terminal. */
function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The query (without `?`) as shown; '' stays ''. */
export function shownQuery(query: string, max = SHOWN_QUERY_LENGTH): string {
  if (query.length <= max) return printable(query);
  const kept = query.slice(0, max);
  const cut = query.length - max;
  const shownPlaceholders = new Set(placeholdersIn(kept));
  const hidden = placeholdersIn(query).filter((p) => !shownPlaceholders.has(p));
  const also = hidden.length > 0 ? `; they include the secret placeholders ${hidden.join(', ')}` : '';
  return `${printable(kept)}… (${cut} more characters${also})`;
}
