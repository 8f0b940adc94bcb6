// A malformed policy (broken YAML, an invalid rule, an alias bomb, an empty document) sent
// to the API for a governed listener must never half-apply. The listener and helpers:
// hostile-input-support.ts.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { PolicyErrorView } from '../../supervisor/api/index.ts';
import { ApiClientError } from '../../supervisor/client/api-client.ts';
import { curl } from '../support/curl.ts';
import { assertServed, d, proxyEnv, sandboxId, setUpHostileListener, up } from './hostile-input-support.ts';

setUpHostileListener();

async function rejected(promise: Promise<unknown>): Promise<ApiClientError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiClientError, String(error));
    return error;
  }
  assert.fail('the call was expected to fail');
}

function assertLines(errors: PolicyErrorView[] | undefined, expected: Array<[string, number]>): void {
  assert.ok(errors && errors.length > 0, 'errors are listed');
  for (const e of errors) {
    assert.ok(Number.isInteger(e.line) && e.line >= 1, `error has a line: ${JSON.stringify(e)}`);
  }
  for (const [path, line] of expected) {
    assert.ok(
      errors.some((e) => e.path === path && e.line === line),
      `expected an error at ${path} line ${line}, got ${JSON.stringify(errors)}`,
    );
  }
}

describe('a malformed policy never half-applies', () => {
  const brokenYaml = [
    'apiVersion: warden.dev/v1', // 1
    'kind: Policy', // 2
    'metadata:', // 3
    '  name: broken', // 4
    'spec:', // 5
    '  network:', // 6
    '    default: allow', // 7
    '    rules:', // 8
    '      - match: blocked.test', // 9
    '        action: allow', // 10
    '       bad-indent: [unclosed', // 11
    '',
  ].join('\n');
  const badRuleYaml = [
    'apiVersion: warden.dev/v1', // 1
    'kind: Policy', // 2
    'metadata:', // 3
    '  name: bad-rule', // 4
    'spec:', // 5
    '  network:', // 6
    '    default: allow', // 7
    '    rules:', // 8
    '      - match: blocked.test', // 9
    '        action: allow', // 10
    '      - match: "bad host!"', // 11
    '        action: maybe', // 12
    '        paths: ["no-slash"]', // 13
    '',
  ].join('\n');
  const aliasBomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    '',
  ].join('\n');

  test('PUT /v1/policy (project layer) with broken YAML or an invalid rule: 400 with lines, nothing changed', async () => {
    const before = await d.client.call('GET /v1/policy', { query: { sandbox: sandboxId } });
    const cases: Array<[string, string, Array<[string, number]>]> = [
      ['broken YAML', brokenYaml, []],
      [
        'an invalid rule',
        badRuleYaml,
        [
          ['spec.network.rules[1].match', 11],
          ['spec.network.rules[1].action', 12],
          ['spec.network.rules[1].paths[0]', 13],
        ],
      ],
      ['an alias bomb', aliasBomb, []],
      ['an empty document', '', []],
    ];
    for (const [what, yaml, expected] of cases) {
      const t = performance.now();
      const error = await rejected(
        d.client.call('PUT /v1/policy', { body: { layer: 'project', sandboxId, yaml, source: 'bad.yaml' } }),
      );
      assert.equal(error.status, 400, what);
      assert.equal(error.name, 'PolicyInvalid', what);
      assertLines(error.details.errors, expected);
      assert.ok(performance.now() - t < 5000, `${what} is refused promptly`);
      const after = await d.client.call('GET /v1/policy', { query: { sandbox: sandboxId } });
      assert.deepEqual(after, before, `${what}: the policy is unchanged`);
    }
    // The broken documents would have allowed blocked.test; it is still denied.
    const r = await curl(proxyEnv, [`http://blocked.test:${up.httpPort}/still-blocked`]);
    assert.equal(r.status, 403);
    assert.ok(
      !d.events.some((e) => e.type === 'policy.changed' && e.sandboxId === sandboxId),
      'no policy.changed event',
    );
  });

  test('PUT /v1/policy (base layer) with an invalid rule writes no file and changes nothing', async () => {
    const before = await d.client.call('GET /v1/policy');
    const baseExisted = existsSync(d.daemon.paths.basePolicy);
    for (const yaml of [brokenYaml, badRuleYaml]) {
      const error = await rejected(d.client.call('PUT /v1/policy', { body: { layer: 'base', yaml } }));
      assert.equal(error.status, 400);
      assertLines(error.details.errors, yaml === badRuleYaml ? [['spec.network.rules[1].action', 12]] : []);
    }
    assert.deepEqual(await d.client.call('GET /v1/policy'), before);
    assert.equal(existsSync(d.daemon.paths.basePolicy), baseExisted, 'no base policy file was written');
    assert.deepEqual(
      await d.client
        .call('GET /v1/policy', { query: { sandbox: sandboxId } })
        .then((p) => p.resolved.rules.length),
      3,
    );
    await assertServed('bad-policy');
  });
});
