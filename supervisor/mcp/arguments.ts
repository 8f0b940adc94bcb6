// The arguments of an MCP call as a human or the audit trail is shown them: JSON, secret
// placeholders and vault values masked first, then cut to a bound.

import { PLACEHOLDER_PATTERN } from '../api/placeholders.ts';

/** Most characters of arguments shown on an approval card or written to the audit trail. */
export const MAX_SHOWN_ARGUMENTS = 4096;

/** `mask` overwrites real secret values (same length) in a text; placeholders are masked here. */
export function shownArguments(
  args: unknown,
  mask: (text: string) => string = (t) => t,
  limit = MAX_SHOWN_ARGUMENTS,
): string | undefined {
  if (args === undefined) return undefined;
  let text: string;
  try {
    text = JSON.stringify(args) ?? '';
  } catch {
    return undefined;
  }
  text = mask(text).replace(new RegExp(PLACEHOLDER_PATTERN.source, 'g'), '[secret placeholder]');
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}… (${text.length - limit} more characters)`;
}
