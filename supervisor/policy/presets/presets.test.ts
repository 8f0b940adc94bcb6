import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Policy, parsePolicy } from '../index.ts';
import { loadPreset, presetNames } from './index.ts';

const facts = (host: string, method = 'GET', path = '/') => ({
  method,
  scheme: 'https' as const,
  host,
  port: 443,
  path,
});

test('the presets are Claude Code, Codex and Node', () => {
  assert.deepEqual(presetNames(), ['claude-code', 'codex', 'node']);
  assert.equal(loadPreset('nope'), undefined);
});

for (const [name, allowed, asked] of [
  [
    'claude-code',
    ['api.anthropic.com', 'statsig.anthropic.com', 'o1.ingest.sentry.io', 'registry.npmjs.org'],
    ['api.openai.com'],
  ],
  ['codex', ['api.openai.com', 'chatgpt.com', 'registry.npmjs.org'], ['api.anthropic.com']],
  ['node', ['registry.npmjs.org'], ['api.anthropic.com', 'example.com']],
] as const) {
  test(`preset ${name} is a valid policy that allows what the agent needs and asks for the rest`, () => {
    const preset = loadPreset(name)!;
    const parsed = parsePolicy(preset.yaml, preset.source);
    assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.errors));
    const policy = Policy.resolve([
      { layer: 'project', source: preset.source, document: parsed.document, lines: parsed.lines },
    ]);
    for (const host of allowed) assert.equal(policy.decideRequest(facts(host)).action, 'allow', host);
    for (const host of asked) assert.equal(policy.decideRequest(facts(host)).action, 'ask', host);
  });
}

test('preset node lets npm read packages but asks before a publish', () => {
  const preset = loadPreset('node')!;
  const parsed = parsePolicy(preset.yaml, preset.source);
  assert.ok(parsed.ok);
  const policy = Policy.resolve([{ layer: 'project', source: preset.source, document: parsed.document }]);
  assert.equal(policy.decideRequest(facts('registry.npmjs.org', 'PUT', '/my-package')).action, 'ask');
});
