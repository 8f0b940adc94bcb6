// The checks of spec.redact that the schema cannot make: each rule is either a built-in
// detector or a named custom pattern, and a pattern must run in linear time.

import { linearPatternProblem } from './linear-regexp.ts';

type Segment = string | number;

export function redactSemanticErrors(value: unknown): Array<{ segments: Segment[]; message: string }> {
  const out: Array<{ segments: Segment[]; message: string }> = [];
  const rules = (value as { spec?: { redact?: { rules?: unknown } } } | null)?.spec?.redact?.rules;
  if (!Array.isArray(rules)) return out;
  rules.forEach((rule: unknown, index) => {
    if (rule === null || typeof rule !== 'object') return;
    const r = rule as Record<string, unknown>;
    const base: Segment[] = ['spec', 'redact', 'rules', index];
    const hasDetector = r.detector !== undefined;
    const hasPattern = r.pattern !== undefined;
    if (hasDetector === hasPattern) {
      out.push({
        segments: base,
        message:
          'a redaction rule has either a detector or a pattern (with a name), not both and not neither',
      });
      return;
    }
    if (hasDetector && (r.name !== undefined || r.maxLength !== undefined)) {
      out.push({
        segments: base,
        message: 'name and maxLength belong to a custom pattern, not to a detector',
      });
    }
    if (hasPattern && r.name === undefined) {
      out.push({
        segments: [...base, 'name'],
        message: 'a custom pattern needs a name (shown in masks and audit counts)',
      });
    }
    if (typeof r.pattern === 'string') {
      const problem = linearPatternProblem(r.pattern);
      if (problem) out.push({ segments: [...base, 'pattern'], message: problem });
    }
  });
  return out;
}
