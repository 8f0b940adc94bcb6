// tls-client secrets: a client certificate and key the proxy presents to the bound hosts.
// The value's shape is checked without quoting it; its placeholder as the whole Bearer
// credential is removed on a bound host (the certificate goes on the connection instead),
// is a violation anywhere else, and is never swapped into a header.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileVault } from '../../test/support/secrets.ts';
import { applySecrets, clientCertificateOf, PlaceholderRegistry } from './index.ts';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIsecretkeybytes\n-----END EC PRIVATE KEY-----';
const b64 = (s: string) => Buffer.from(s).toString('base64');

test('a tls-client value is the base64 of a certificate and one unencrypted key', () => {
  assert.deepEqual(clientCertificateOf(b64(`${CERT}\n${KEY}\n`)), { cert: CERT, key: KEY });
  const encrypted = KEY.replaceAll('EC PRIVATE KEY', 'ENCRYPTED PRIVATE KEY');
  for (const bad of [
    `${CERT}\n${KEY}`,
    b64(CERT),
    b64(KEY),
    b64(`${CERT}\n${KEY}\n${KEY}`),
    b64(`${CERT}\n${encrypted}`),
  ]) {
    assert.throws(
      () => clientCertificateOf(bad),
      (e: Error) => /tls-client secret value/.test(e.message) && !e.message.includes('secretkeybytes'),
    );
  }
});

test('its placeholder as the Bearer credential is removed on a bound host, a violation elsewhere', async (t) => {
  const vault = await fileVault(t);
  await vault.set('kube', b64(`${CERT}\n${KEY}\n`), { hosts: ['kube.test'], inject: 'tls-client' });
  await assert.rejects(vault.set('bad', 'not-pem', { hosts: ['kube.test'], inject: 'tls-client' }));
  const registry = new PlaceholderRegistry();
  const ph = registry.issue('sb-1', 'kube');
  const run = (host: string, headers: Record<string, string>) =>
    applySecrets(
      { sandboxId: 'sb-1', host, intercepted: true, headers, url: '/' },
      { registry, vault, granted: ['kube'] },
    );

  const bound = run('kube.test', { authorization: `Bearer ${ph}`, accept: 'application/json' });
  assert.deepEqual(bound.violations, []);
  assert.deepEqual(bound.headers, { accept: 'application/json' });
  assert.deepEqual(bound.injected, ['kube']);

  const elsewhere = run('other.test', { authorization: `Bearer ${ph}` });
  assert.deepEqual(elsewhere.violations, [
    { secret: 'kube', where: 'authorization', reason: 'unbound-host' },
  ]);

  // Anywhere but the whole Bearer credential it is left as it is: never the key.
  const other = run('kube.test', { 'x-token': ph, authorization: `Basic ${b64(`u:${ph}`)}` });
  assert.equal(other.headers['x-token'], ph);
  assert.ok(!JSON.stringify(other).includes('secretkeybytes'));
});
