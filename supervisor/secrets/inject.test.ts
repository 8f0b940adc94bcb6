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

test('bearer: never added without its placeholder; an existing Authorization is left alone', async (t) => {
  const { run } = await setup(t);
  const bare = run({ host: 'github.com', headers: { 'user-agent': 'git' } });
  assert.deepEqual(bare.headers, { 'user-agent': 'git' });
  assert.deepEqual(bare.injected, []);
  const kept = run({ host: 'github.com', headers: { AUTHORIZATION: 'token mine' } });
  assert.deepEqual(kept.headers, { AUTHORIZATION: 'token mine' });
  assert.deepEqual(kept.injected, []);
  noValues([bare, kept]);
});

test('basic: never added without its placeholder; replaced inside a Basic credential', async (t) => {
  const { run, ph } = await setup(t);
  const bare = run({ host: 'registry.test' });
  assert.deepEqual(bare.headers, {});
  assert.deepEqual(bare.injected, []);
  noValues(bare);

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

test('header:NAME: replaced case-insensitively on any depth of **.domain, never added when absent', async (t) => {
  const { run, ph } = await setup(t);
  const replaced = run({ host: 'v1.eu.api.test', headers: { 'x-API-key': ph.HDR } });
  assert.equal(replaced.headers['x-API-key'], HDR);
  assert.equal(Object.keys(replaced.headers).length, 1);
  const bare = run({ host: 'eu.api.test', headers: {} });
  assert.deepEqual(bare.headers, {});
  assert.deepEqual(bare.injected, []);
  // The apex is not matched by **.api.test: the placeholder there is a violation.
  const apex = run({ host: 'api.test', headers: { 'x-api-key': ph.HDR } });
  assert.deepEqual(apex.violations, [{ secret: 'HDR', where: 'x-api-key', reason: 'unbound-host' }]);
  noValues([bare, apex]);
});

test('query:PARAM: replaced URL-encoded, never added when absent, kept when present', async (t) => {
  const { run, ph } = await setup(t);
  const enc = encodeURIComponent(QRY);
  assert.equal(run({ host: 'maps.test', url: `/geo?key=${ph.QRY}&q=1` }).url, `/geo?key=${enc}&q=1`);
  for (const url of ['/geo', '/geo?q=1', '/geo?#frag', '/geo?key=mine']) {
    const out = run({ host: 'maps.test', url });
    assert.equal(out.url, url);
    assert.deepEqual(out.injected, []);
  }
});

test('query:PARAM: only the named parameter is replaced, never the path or another parameter', async (t) => {
  const { run, ph } = await setup(t);
  const enc = encodeURIComponent(QRY);
  const out = run({ host: 'maps.test', url: `/${ph.QRY}/geo?note=${ph.QRY}&key=${ph.QRY}&keyx=${ph.QRY}` });
  assert.equal(out.url, `/${ph.QRY}/geo?note=${ph.QRY}&key=${enc}&keyx=${ph.QRY}`);
  assert.equal(run({ host: 'maps.test', url: `/a?k%65y=${ph.QRY}` }).url, `/a?k%65y=${enc}`);
  // Only in the path: nothing is added (a value goes only where its placeholder is sent in
  // the secret's own place), and the path keeps the placeholder.
  const onlyPath = run({ host: 'maps.test', url: `/${ph.QRY}` });
  assert.equal(onlyPath.url, `/${ph.QRY}`);
  assert.deepEqual(onlyPath.injected, []);
});

test('a placeholder in a header name or the host name is a violation too', async (t) => {
  const { run, ph } = await setup(t);
  const named = run({ host: 'evil.test', headers: { [`x-${ph.GH}`]: '1' } });
  assert.deepEqual(named.violations, [{ secret: 'GH', where: 'header name', reason: 'unbound-host' }]);
  const hosted = run({ host: `${ph.GH}.evil.test` });
  assert.deepEqual(hosted.violations, [{ secret: 'GH', where: 'host', reason: 'unbound-host' }]);
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

test('a bare placeholder as a whole Basic credential, padded or not, is found', async (t) => {
  const { run, ph } = await setup(t);
  // A bare placeholder is 47 bytes: 64 base64 characters padded, 63 without the padding.
  const padded = b64(ph.GH ?? '');
  assert.equal(padded.length, 64);
  for (const [name, encoded] of [
    ['authorization', padded],
    ['proxy-authorization', padded.replace(/=+$/, '')],
  ] as const) {
    const out = run({ host: 'evil.test', headers: { [name]: `Basic ${encoded}` } });
    assert.deepEqual(out.violations, [{ secret: 'GH', where: name, reason: 'unbound-host' }], name);
    noValues(out);
  }
  // One byte short of a placeholder cannot hold one.
  const short = run({
    host: 'evil.test',
    headers: { authorization: `Basic ${b64((ph.GH ?? '').slice(1))}` },
  });
  assert.deepEqual(short.violations, []);
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

test('two bearer secrets on one host: each goes only where its own placeholder is', async (t) => {
  const { run, vault, registry, ph } = await setup(t);
  await vault.set('AAA', 'other-token', { hosts: ['github.com'], inject: 'bearer' });
  const aaa = registry.issue('sb-1', 'AAA');
  assert.deepEqual(run({ host: 'github.com' }, ['GH', 'AAA']).headers, {});
  const one = run({ host: 'github.com', headers: { authorization: `Bearer ${ph.GH}` } }, ['GH', 'AAA']);
  assert.equal(one.headers.authorization, `Bearer ${GH}`);
  assert.deepEqual(one.injected, ['GH']);
  const other = run({ host: 'github.com', headers: { authorization: `Bearer ${aaa}` } }, ['GH', 'AAA']);
  assert.equal(other.headers.authorization, 'Bearer other-token');
  assert.deepEqual(other.injected, ['AAA']);
});
