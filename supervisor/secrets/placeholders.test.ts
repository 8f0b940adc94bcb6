import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findPlaceholders, PlaceholderRegistry } from './index.ts';

test('a placeholder is stable per (sandbox, secret) and unique across pairs', () => {
  const registry = new PlaceholderRegistry();
  const a1 = registry.issue('sb-1', 'GITHUB_TOKEN');
  assert.match(a1, /^wdn_ph_[0-9a-f]{40}$/);
  assert.equal(registry.issue('sb-1', 'GITHUB_TOKEN'), a1);
  const a2 = registry.issue('sb-2', 'GITHUB_TOKEN');
  const b1 = registry.issue('sb-1', 'NPM_TOKEN');
  assert.equal(new Set([a1, a2, b1]).size, 3);
  assert.deepEqual(registry.lookup(a2), { sandboxId: 'sb-2', secretName: 'GITHUB_TOKEN' });
  assert.equal(registry.lookup(`wdn_ph_${'0'.repeat(40)}`), undefined);
  assert.deepEqual(registry.forSandbox('sb-1'), { GITHUB_TOKEN: a1, NPM_TOKEN: b1 });
  assert.deepEqual(registry.forSandbox('nobody'), {});
  // The scanner recognizes what the registry issues.
  assert.deepEqual(findPlaceholders(`token ${a1}`), [a1]);
});

test('many placeholders are all distinct', () => {
  const registry = new PlaceholderRegistry();
  const all = new Set<string>();
  for (let i = 0; i < 2000; i++) all.add(registry.issue(`sb-${i % 50}`, `S${i}`));
  assert.equal(all.size, 2000);
});

test('revoking a sandbox forgets its placeholders only; a new issue gives a new one', () => {
  const registry = new PlaceholderRegistry();
  const a = registry.issue('sb-1', 'A');
  const b = registry.issue('sb-2', 'A');
  assert.equal(registry.revokeSandbox('sb-1'), 1);
  assert.equal(registry.revokeSandbox('sb-1'), 0);
  assert.equal(registry.lookup(a), undefined);
  assert.deepEqual(registry.lookup(b), { sandboxId: 'sb-2', secretName: 'A' });
  assert.notEqual(registry.issue('sb-1', 'A'), a);
  assert.equal(registry.revokeSecret('A'), 2);
  assert.equal(registry.lookup(b), undefined);
  assert.throws(() => registry.issue('', 'A'), /sandbox id/);
});
