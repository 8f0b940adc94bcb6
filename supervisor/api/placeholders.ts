// What a secret placeholder looks like: the agent holds these instead of secret values, and
// every client may show them (the approval card, the CLI, the audit) or look for them.

export const PLACEHOLDER_PREFIX = 'wdn_ph_';
export const PLACEHOLDER_PATTERN = /wdn_ph_[0-9a-z]{40}/g;

/** The distinct placeholders in `text`, in order of first appearance. */
export function placeholdersIn(text: string): string[] {
  if (!text.includes(PLACEHOLDER_PREFIX)) return [];
  return [...new Set(Array.from(text.matchAll(PLACEHOLDER_PATTERN), (m) => m[0]))];
}
