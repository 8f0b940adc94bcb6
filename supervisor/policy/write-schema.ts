// Regenerate supervisor/policy/policy.schema.json from schema.ts:
//   node --import tsx supervisor/policy/write-schema.ts
import { writeFileSync } from 'node:fs';
import { POLICY_SCHEMA_PATH, policyJsonSchemaText } from './json-schema.ts';

writeFileSync(POLICY_SCHEMA_PATH, policyJsonSchemaText());
process.stdout.write(`wrote ${POLICY_SCHEMA_PATH}\n`);
