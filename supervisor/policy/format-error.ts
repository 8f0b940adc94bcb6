// One line per policy error, as editors and terminals expect: file:line:col: path: message.
// Kept free of dependencies so a client can format errors without loading the engine.

import type { PolicyErrorView } from '../api/policy-types.ts';

export function formatPolicyError(e: PolicyErrorView): string {
  const where = e.line > 0 ? `${e.source}:${e.line}:${e.column}` : e.source;
  return e.path ? `${where}: ${e.path}: ${e.message}` : `${where}: ${e.message}`;
}
