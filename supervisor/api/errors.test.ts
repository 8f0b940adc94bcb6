import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorShapeOf, WardenError } from './errors.ts';

const policyError = { source: 'p.yaml', line: 3, column: 5, path: 'spec.network', message: 'bad' };

test('one converter for every thrown value: domain errors, API envelopes, plain errors, anything', () => {
  assert.deepEqual(
    errorShapeOf(new WardenError('PolicyInvalid', 'not valid', 'fix line 3', { errors: [policyError] })),
    { name: 'PolicyInvalid', message: 'not valid', hint: 'fix line 3', errors: [policyError] },
  );
  // An API client's error: the envelope's fields are under `details`.
  const fromApi = Object.assign(new Error('sandbox sb-1 is stopped'), {
    name: 'SandboxNotRunning',
    status: 409,
    hint: 'start it',
    details: { name: 'SandboxNotRunning', message: 'sandbox sb-1 is stopped', errors: [policyError] },
  });
  assert.deepEqual(errorShapeOf(fromApi), {
    name: 'SandboxNotRunning',
    message: 'sandbox sb-1 is stopped',
    status: 409,
    hint: 'start it',
    errors: [policyError],
  });
  assert.deepEqual(errorShapeOf(new TypeError('boom')), { name: 'TypeError', message: 'boom' });
  assert.deepEqual(errorShapeOf('just text'), { name: 'Error', message: 'just text' });
  assert.deepEqual(errorShapeOf({ name: 7, status: 'x' }), { name: 'Error', message: '[object Object]' });
});
