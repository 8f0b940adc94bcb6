import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePolicy } from '../policy/index.ts';
import { listPresets } from './preset-handlers.ts';

test('GET /v1/presets: every shipped preset with its text, source and description; each parses', () => {
  const presets = listPresets();
  assert.deepEqual(
    presets.map((p) => p.name),
    ['claude-code', 'codex', 'node'],
  );
  for (const p of presets) {
    assert.ok(p.source.endsWith(`${p.name}.yaml`), p.source);
    assert.ok(p.description && p.description.length > 10, p.name);
    assert.match(p.yaml, /kind: Policy/);
    const parsed = parsePolicy(p.yaml, p.source);
    assert.ok(parsed.ok, `${p.name}: ${JSON.stringify(parsed)}`);
  }
});
