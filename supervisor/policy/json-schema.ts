// The published JSON Schema of policy documents (for editors and other tools), generated from
// the TypeBox definitions in schema.ts. supervisor/policy/policy.schema.json is its committed copy.

import { fileURLToPath } from 'node:url';
import { PolicyDocumentSchema } from '../api/policy-schema.ts';

export const POLICY_SCHEMA_PATH = fileURLToPath(new URL('./policy.schema.json', import.meta.url));

/** The schema as a plain JSON value (TypeBox's symbol keys dropped). */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...(JSON.parse(JSON.stringify(PolicyDocumentSchema)) as Record<string, unknown>),
  };
}

/** The exact text of policy.schema.json. */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
