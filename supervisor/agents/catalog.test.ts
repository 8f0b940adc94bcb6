import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentDirName, isExactVersion, parseAgentSpec } from './catalog.ts';

test('known names pick their package and preset; other packages install under the node preset', () => {
  assert.deepEqual(parseAgentSpec('claude-code'), {
    name: 'claude-code',
    package: '@anthropic-ai/claude-code',
    preset: 'claude-code',
  });
  assert.deepEqual(parseAgentSpec('codex@0.171.0'), {
    name: 'codex',
    package: '@openai/codex',
    preset: 'codex',
    version: '0.171.0',
  });
  assert.deepEqual(parseAgentSpec('@anthropic-ai/claude-code@2.1.0')?.name, 'claude-code');
  assert.deepEqual(parseAgentSpec('@scope/tool@next'), {
    name: '@scope/tool',
    package: '@scope/tool',
    preset: 'node',
    version: 'next',
  });
  assert.equal(agentDirName('@scope/tool'), 'scope+tool');
});

test('hostile: specs that would escape a folder or smuggle npm options are refused', () => {
  for (const bad of [
    '../x',
    'a/../../b',
    '--registry=http://evil',
    'x@../../y',
    '@/x',
    'X Y',
    'file:/etc',
    'git+ssh://h/r',
    'x@1 2',
  ])
    assert.equal(parseAgentSpec(bad), undefined, bad);
  assert.ok(isExactVersion('2.1.332'));
  assert.ok(isExactVersion('1.0.0-beta.3'));
  for (const bad of ['../1', '1.0', 'latest', '1.0.0/x', '1.0.0\n'])
    assert.equal(isExactVersion(bad), false, JSON.stringify(bad));
});
