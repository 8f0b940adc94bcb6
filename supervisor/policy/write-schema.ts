// Regenerate supervisor/policy/policy.schema.json from supervisor/api/policy-schema.ts (npm run schema):
//   node --import tsx supervisor/policy/write-schema.ts
import { writeFileSync } from 'node:fs';
import { POLICY_SCHEMA_PATH, policyJsonSchemaText } from './json-schema.ts';

writeFileSync(POLICY_SCHEMA_PATH, policyJsonSchemaText());
process.stdout.write(`wrote ${POLICY_SCHEMA_PATH}\n`);
