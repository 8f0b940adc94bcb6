import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { POLICY_SCHEMA_ID } from '../api/policy-schema.ts';
import { POLICY_SCHEMA_PATH, policyJsonSchema, policyJsonSchemaText } from './json-schema.ts';

describe('policy.schema.json', () => {
  test('the committed file is up to date (regenerate: node --import tsx supervisor/policy/write-schema.ts)', () => {
    assert.equal(readFileSync(POLICY_SCHEMA_PATH, 'utf8'), policyJsonSchemaText());
  });

  test('is a draft-07 schema that a plain JSON Schema validator accepts and applies', () => {
    const schema = policyJsonSchema();
    assert.equal(schema.$id, POLICY_SCHEMA_ID);
    const validate = new Ajv({ strict: true }).compile(schema);
    const good = {
      apiVersion: 'warden.dev/v1',
      kind: 'Policy',
      metadata: { name: 'x' },
      spec: { network: { default: 'deny', rules: [{ match: 'a.com', action: 'allow', tls: 'inspect' }] } },
    };
    assert.equal(validate(good), true);
    assert.equal(
      validate({ ...good, spec: { network: { rules: [{ match: 'a.com', action: 'maybe' }] } } }),
      false,
    );
    assert.equal(validate({ ...good, extra: 1 }), false);
  });
});
