// From the attacker's side: an agent's install runs package scripts in a sandbox, so what
// it leaves in the staging folder is hostile. Warden reads it without following links,
// names folders only from exact versions, and refuses specs that smuggle options or paths.
// And the per-project agent home: a file holding a vault value is refused at start and
// removed after the sandbox.

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseAgentSpec } from '../../supervisor/agents/catalog.ts';
import { AgentStore, readInside, readInstalled } from '../../supervisor/agents/store.ts';
import {
  agentHomeDir,
  checkAgentHome,
  ensureAgentHome,
  scrubAgentHome,
} from '../../supervisor/sandboxes/agent-home.ts';
import { tempDir } from '../support/temp-dir.ts';

const INTEGRITY = `sha512-${'A'.repeat(86)}==`;
const lock = (version: string, integrity = INTEGRITY) =>
  JSON.stringify({ packages: { 'node_modules/x': { version, integrity } } });

test('a package-lock.json that is a link (to a host file) is not read', (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'secret'), lock('1.0.0'));
  symlinkSync(path.join(dir, 'secret'), path.join(dir, 'package-lock.json'));
  assert.throws(() => readInstalled(dir, 'x'), /symbolic link/);
});

test('a parent folder that is a link is not followed either', (t) => {
  const dir = tempDir(t);
  const outside = path.join(dir, 'outside');
  mkdirSync(path.join(outside, 'x'), { recursive: true });
  writeFileSync(path.join(outside, 'x', 'package.json'), '{}');
  const staging = path.join(dir, 'staging');
  mkdirSync(staging);
  symlinkSync(outside, path.join(staging, 'node_modules'));
  assert.throws(() => readInside(staging, 'node_modules/x/package.json', 1000), /symbolic link/);
  assert.throws(() => readInside(staging, '../outside/x/package.json', 1000), /bad path/);
});

test('a lock naming a version that is a path, or no sha512 integrity, is refused', (t) => {
  const dir = tempDir(t);
  for (const [version, integrity] of [
    ['../../../tmp/evil', INTEGRITY],
    ['1.0.0/../../x', INTEGRITY],
    ['latest', INTEGRITY],
    ['1.0.0', 'sha1-abc'],
    ['1.0.0', `${INTEGRITY}\n`],
  ] as const) {
    writeFileSync(path.join(dir, 'package-lock.json'), lock(version, integrity));
    assert.throws(() => readInstalled(dir, 'x'), /exact version|sha512/, `${version} ${integrity}`);
  }
  const store = new AgentStore(path.join(dir, 'agents'));
  assert.throws(() => store.versionDir('x', '../../etc'), /not an exact version/);
});

test('a huge lock file is refused before it is read', (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'package-lock.json'), Buffer.alloc(33 << 20, 0x20));
  assert.throws(() => readInstalled(dir, 'x'), /larger than/);
});

test('a meta file Warden did not write (a link, or garbage) hides the version instead of lying', (t) => {
  const dir = tempDir(t);
  const store = new AgentStore(path.join(dir, 'agents'));
  mkdirSync(path.join(store.dir, 'x', '1.0.0'), { recursive: true });
  writeFileSync(path.join(dir, 'fake.json'), JSON.stringify({ name: 'x', version: '1.0.0' }));
  symlinkSync(path.join(dir, 'fake.json'), path.join(store.dir, 'x', '1.0.0', 'warden-agent.json'));
  assert.deepEqual(store.list(), []);
  assert.throws(
    () => store.resolve(['x']),
    (e: Error) => e.name === 'AgentNotFound',
  );
});

test('agent specs that would be npm options, URLs or paths are refused', () => {
  for (const bad of [
    '--ignore-scripts=false',
    '-g',
    'https://evil.test/x.tgz',
    '/etc/passwd',
    './x',
    'x@>=1 <2',
    'x@$(id)',
  ])
    assert.equal(parseAgentSpec(bad), undefined, bad);
});

test('agent home: one per workspace path; a file holding a vault value is refused at start, removed after', (t) => {
  const homes = tempDir(t);
  assert.notEqual(agentHomeDir(homes, '/w/a'), agentHomeDir(homes, '/w/b'));
  assert.equal(agentHomeDir(homes, '/w/a/'), agentHomeDir(homes, '/w/a'));
  const dir = ensureAgentHome(homes, '/w/a');
  const value = 'sk-ant-REAL-VALUE-123456';
  const secretsIn = (data: Buffer) => (data.includes(value) ? ['ANTHROPIC_API_KEY'] : []);
  mkdirSync(path.join(dir, '.claude'), { recursive: true });
  writeFileSync(path.join(dir, '.claude', 'settings.json'), '{"theme":"dark"}');
  checkAgentHome(dir, secretsIn); // clean: fine
  writeFileSync(path.join(dir, '.claude', 'history.jsonl'), `{"display":"key is ${value}"}\n`);
  assert.throws(
    () => checkAgentHome(dir, secretsIn),
    (e: Error & { hint?: string }) =>
      e.name === 'AgentHomeHasSecrets' &&
      /\.claude\/history\.jsonl: ANTHROPIC_API_KEY/.test(e.message) &&
      !e.message.includes(value) &&
      /never hold a secret/.test(e.hint ?? ''),
  );
  // A link to a file elsewhere is not followed (nor counted): only the home's own files.
  writeFileSync(path.join(homes, 'elsewhere'), value);
  symlinkSync(path.join(homes, 'elsewhere'), path.join(dir, '.claude', 'link'));
  assert.deepEqual(scrubAgentHome(dir, secretsIn), ['.claude/history.jsonl']);
  assert.deepEqual(readdirSync(path.join(dir, '.claude')).sort(), ['link', 'settings.json']);
  checkAgentHome(dir, secretsIn);
});

test('the API refuses agent specs and sandbox agent names that are not names (schema, before any code)', async () => {
  const { Ajv } = await import('ajv');
  const { bodySchema } = await import('../../supervisor/api/route-schemas.ts');
  const ajv = new Ajv({ allErrors: true, strict: false });
  const addAgent = ajv.compile(bodySchema('POST /v1/agents')!);
  assert.ok(addAgent({ spec: 'claude-code' }));
  assert.ok(addAgent({ spec: '@openai/codex@0.171.0', update: true }));
  for (const spec of ['--registry=http://evil.test', '../x', 'x y', 'https://evil.test/x.tgz', 'x@1;id', ''])
    assert.equal(addAgent({ spec }), false, spec);
  assert.equal(addAgent({ spec: 'x', extra: 1 }), false, 'no unknown fields');
  const createSandbox = ajv.compile(bodySchema('POST /v1/sandboxes')!);
  assert.ok(createSandbox({ agents: ['claude-code'], agentHome: true, diskMiB: 0 }));
  assert.equal(createSandbox({ agents: ['../../etc'] }), false);
  assert.equal(createSandbox({ agents: ['x\nPATH=/evil'] }), false);
  assert.equal(createSandbox({ diskMiB: 10 }), false, 'a disk below 64 MiB (other than 0) is refused');
  assert.equal(createSandbox({ diskMiB: 2 ** 21 }), false);
});
