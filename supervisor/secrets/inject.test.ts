import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileVault } from '../../test/support/secrets.ts';
import {
  applySecrets,
  type HeaderMap,
  PlaceholderRegistry,
  type SecretRequest,
  type Vault,
} from './index.ts';

const GH = 'ghp_RealGitHubToken0123456789';
const BASIC = 'deploy:p@ss word/ü';
const HDR = 'sk-real-header-key';
const QRY = 'real key&=/';

interface Setup {
  vault: Vault;
  registry: PlaceholderRegistry;
  ph: Record<string, string>;
  granted: string[];
  run: (
    req: Partial<SecretRequest> & { host: string },
    granted?: string[],
  ) => ReturnType<typeof applySecrets>;
}

async function setup(t: import('node:test').TestContext): Promise<Setup> {
  const vault = await fileVault(t);
  await vault.set('GH', GH, { hosts: ['api.github.com', 'github.com'], inject: 'bearer' });
  await vault.set('BASIC', BASIC, { hosts: ['registry.test'], inject: 'basic' });
  await vault.set('HDR', HDR, { hosts: ['**.api.test'], inject: 'header:X-Api-Key' });
  await vault.set('QRY', QRY, { hosts: ['maps.test'], inject: 'query:key' });
  const registry = new PlaceholderRegistry();
  const granted = ['GH', 'BASIC', 'HDR', 'QRY'];
  const ph = Object.fromEntries(granted.map((name) => [name, registry.issue('sb-1', name)]));
  const run: Setup['run'] = (req, g = granted) =>
    applySecrets(
      { sandboxId: 'sb-1', intercepted: true, headers: {}, url: '/', ...req },
      { registry, vault, granted: g },
    );
  return { vault, registry, ph, granted, run };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const noValues = (value: unknown) => {
  const text = JSON.stringify(value);
  for (const secret of [GH, BASIC, HDR, QRY, encodeURIComponent(QRY), b64(BASIC)]) {
    assert.ok(!text.includes(secret), `a value leaked into ${text}`);
  }
};

test('bearer: the placeholder is replaced on a bound host over intercepted TLS', async (t) => {
  const { run, ph } = await setup(t);
  const headers: HeaderMap = { Authorization: `Bearer ${ph.GH}`, accept: 'application/json' };
  const out = run({ host: 'API.GitHub.com.', headers, url: `/user?note=${ph.GH}` });
  assert.deepEqual(out.violations, []);
  assert.deepEqual(out.injected, ['GH']);
  assert.equal(out.headers.Authorization, `Bearer ${GH}`);
  assert.equal(out.headers.accept, 'application/json');
  // Outside the secret's target the placeholder stays: an echoing upstream cannot reflect the value.
  assert.equal(out.url, `/user?note=${ph.GH}`);
  assert.equal(headers.Authorization, `Bearer ${ph.GH}`, 'the input was modified');
});

test('bearer: added when there is no Authorization header; an existing one is left alone', async (t) => {
  const { run } = await setup(t);
  const added = run({ host: 'github.com', headers: { 'user-agent': 'git' } });
  assert.equal(added.headers.authorization, `Bearer ${GH}`);
  assert.deepEqual(added.injected, ['GH']);
  const kept = run({ host: 'github.com', headers: { AUTHORIZATION: 'token mine' } });
  assert.equal(kept.headers.AUTHORIZATION, 'token mine');
  assert.equal(kept.headers.authorization, undefined);
  assert.deepEqual(kept.injected, []);
});

test('basic: added as base64(user:password), and replaced inside a Basic credential', async (t) => {
  const { run, ph } = await setup(t);
  const added = run({ host: 'registry.test' });
  assert.equal(added.headers.authorization, `Basic ${b64(BASIC)}`);
  assert.deepEqual(added.injected, ['BASIC']);

  const inside = run({ host: 'registry.test', headers: { authorization: `Basic ${b64(ph.BASIC ?? '')}` } });
  assert.deepEqual(inside.violations, []);
  assert.equal(inside.headers.authorization, `Basic ${b64(BASIC)}`);
  assert.equal(
    Buffer.from((inside.headers.authorization as string).slice(6), 'base64').toString('utf8'),
    BASIC,
  );

  // git's form: a token placeholder as the password of a Basic credential.
  const git = run({
    host: 'github.com',
    headers: { Authorization: `basic ${b64(`x-access-token:${ph.GH}`)}` },
  });
  assert.equal(git.headers.Authorization, `basic ${b64(`x-access-token:${GH}`)}`);
  assert.deepEqual(git.injected, ['GH']);
});

test('header:NAME: replaced case-insensitively, added when absent, on any depth of **.domain', async (t) => {
  const { run, ph } = await setup(t);
  const replaced = run({ host: 'v1.eu.api.test', headers: { 'x-API-key': ph.HDR } });
  assert.equal(replaced.headers['x-API-key'], HDR);
  assert.equal(Object.keys(replaced.headers).length, 1);
  const added = run({ host: 'eu.api.test', headers: {} });
  assert.equal(added.headers['x-api-key'], HDR);
  assert.deepEqual(added.injected, ['HDR']);
  // The apex is not matched by **.api.test: nothing added.
  assert.deepEqual(run({ host: 'api.test' }).injected, []);
});

test('query:PARAM: replaced URL-encoded, added when absent, kept when present', async (t) => {
  const { run, ph } = await setup(t);
  const enc = encodeURIComponent(QRY);
  assert.equal(run({ host: 'maps.test', url: `/geo?key=${ph.QRY}&q=1` }).url, `/geo?key=${enc}&q=1`);
  assert.equal(run({ host: 'maps.test', url: '/geo' }).url, `/geo?key=${enc}`);
  assert.equal(run({ host: 'maps.test', url: '/geo?q=1' }).url, `/geo?q=1&key=${enc}`);
  assert.equal(run({ host: 'maps.test', url: '/geo?#frag' }).url, `/geo?key=${enc}#frag`);
  const kept = run({ host: 'maps.test', url: '/geo?key=mine' });
  assert.equal(kept.url, '/geo?key=mine');
  assert.deepEqual(kept.injected, []);
});

test('array header values are each handled; only the target header gets the value', async (t) => {
  const { run, ph } = await setup(t);
  const out = run({
    host: 'github.com',
    headers: { authorization: [`Bearer ${ph.GH}`, 'b'], 'x-multi': [`a ${ph.GH}`] },
  });
  assert.deepEqual(out.headers.authorization, [`Bearer ${GH}`, 'b']);
  assert.deepEqual(out.headers['x-multi'], [`a ${ph.GH}`]);
});

test('a placeholder sent to a host its secret is not bound to is a violation, and nothing is injected', async (t) => {
  const { run, ph } = await setup(t);
  const headers = { Authorization: `Bearer ${ph.GH}`, 'X-Other': ph.HDR };
  const out = run({ host: 'evil.test', headers, url: `/collect?t=${ph.QRY}` });
  assert.deepEqual(out.violations, [
    { secret: 'GH', where: 'authorization', reason: 'unbound-host' },
    { secret: 'HDR', where: 'x-other', reason: 'unbound-host' },
    { secret: 'QRY', where: 'url', reason: 'unbound-host' },
  ]);
  assert.deepEqual(out.injected, []);
  assert.deepEqual(out.headers, headers);
  assert.equal(out.url, `/collect?t=${ph.QRY}`);
  noValues(out);
});

test('one unbound placeholder blocks injection of the bound ones in the same request', async (t) => {
  const { run, ph } = await setup(t);
  const out = run({ host: 'github.com', headers: { authorization: `Bearer ${ph.GH}`, 'x-leak': ph.BASIC } });
  assert.deepEqual(out.violations, [{ secret: 'BASIC', where: 'x-leak', reason: 'unbound-host' }]);
  assert.deepEqual(out.injected, []);
  assert.equal(out.headers.authorization, `Bearer ${ph.GH}`);
  noValues(out);
});

test('a placeholder hidden in a Basic credential to an unbound host is a violation', async (t) => {
  const { run, ph } = await setup(t);
  const out = run({ host: 'evil.test', headers: { authorization: `Basic ${b64(`me:${ph.GH}`)}` } });
  assert.deepEqual(out.violations, [{ secret: 'GH', where: 'authorization', reason: 'unbound-host' }]);
  noValues(out);
});

test('placeholders of another sandbox, of an ungranted secret, or unknown tokens are violations', async (t) => {
  const { run, registry, ph } = await setup(t);
  const foreign = registry.issue('sb-2', 'GH');
  const unknown = `wdn_ph_${'7'.repeat(40)}`;
  const out = run({ host: 'github.com', headers: { authorization: `Bearer ${foreign}`, 'x-u': unknown } });
  assert.deepEqual(out.violations, [
    { secret: 'GH', where: 'authorization', reason: 'foreign-sandbox' },
    { secret: '(unknown)', where: 'x-u', reason: 'unknown-placeholder' },
  ]);
  assert.deepEqual(out.injected, []);
  const ungranted = run({ host: 'github.com', headers: { authorization: `Bearer ${ph.GH}` } }, ['HDR']);
  assert.deepEqual(ungranted.violations, [{ secret: 'GH', where: 'authorization', reason: 'not-granted' }]);
  noValues([out, ungranted]);
});

test('a placeholder of a removed secret is a violation', async (t) => {
  const { run, vault, ph } = await setup(t);
  await vault.remove('GH');
  const out = run({ host: 'github.com', headers: { authorization: `Bearer ${ph.GH}` } });
  assert.deepEqual(out.violations, [{ secret: 'GH', where: 'authorization', reason: 'unknown-secret' }]);
});

test('plain HTTP: never injected; a placeholder for a bound host is a plain-http violation', async (t) => {
  const { run, ph } = await setup(t);
  const quiet = run({ host: 'github.com', intercepted: false, headers: {} });
  assert.deepEqual(quiet, { headers: {}, url: '/', injected: [], violations: [] });
  const out = run({ host: 'github.com', intercepted: false, headers: { authorization: `Bearer ${ph.GH}` } });
  assert.deepEqual(out.violations, [{ secret: 'GH', where: 'plain-http', reason: 'plain-http' }]);
  assert.equal(out.headers.authorization, `Bearer ${ph.GH}`);
  assert.deepEqual(out.injected, []);
  const unbound = run({ host: 'evil.test', intercepted: false, url: `/?x=${ph.GH}` });
  assert.deepEqual(unbound.violations, [{ secret: 'GH', where: 'url', reason: 'unbound-host' }]);
  noValues([out, unbound]);
});

test('two bearer secrets on one host: only one Authorization header is added', async (t) => {
  const { run, vault, registry } = await setup(t);
  await vault.set('AAA', 'other-token', { hosts: ['github.com'], inject: 'bearer' });
  registry.issue('sb-1', 'AAA');
  const out = run({ host: 'github.com' }, ['GH', 'AAA']);
  assert.equal(out.headers.authorization, 'Bearer other-token');
  assert.deepEqual(out.injected, ['AAA']);
});
