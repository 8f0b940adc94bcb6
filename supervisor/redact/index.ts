// Redaction of what a sandbox sends to a model API (spec.redact): detectors, the streaming
// body scanner and the service the proxy calls per request.

export { BodyScanner } from './body-scanner.ts';
export { builtinFinders, MIN_VAULT_VALUE } from './detectors.ts';
export type { Finder, Match } from './finders.ts';
export { redactionRefusal } from './refusal.ts';
export { type RedactRules, redactRulesOf } from './rules.ts';
export { type RedactionOpening, RedactionService, type RedactionServiceOptions } from './service.ts';
export { RedactionBlocked } from './window.ts';
