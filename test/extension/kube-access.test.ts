// Reading a cluster's access from its kubeconfig for "read-only for agents": tokens (inline
// or from a file), client certificates (data or files relative to the kubeconfig), the CA;
// and every form Warden cannot hold for the agent refused with a sentence, never the value.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readKubeAccess } from '../../extension/src/main/kube-access.ts';
import { tempDir } from '../support/temp-dir.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nMHcsecret\n-----END EC PRIVATE KEY-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

function kubeconfig(dir: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const file = path.join(dir, 'config');
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1:6443', ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'web' } }],
  };
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

test('tokens, token files and client certificates are read with the CA', async (t) => {
  const dir = tempDir(t, 'warden-kube-access-');
  const withCa = { 'certificate-authority-data': b64(CA) };
  let r = await readKubeAccess(kubeconfig(dir, withCa, { token: 'tok-1' }), 'ctx');
  assert.ok(r.ok);
  assert.deepEqual(r.access.credential, { kind: 'token', token: 'tok-1' });
  assert.equal(r.access.ca, CA);
  assert.equal(r.access.namespace, 'web');
  assert.deepEqual([r.access.host, r.access.port], ['10.0.0.1', 6443]);

  writeFileSync(path.join(dir, 'token'), 'tok-2\n');
  writeFileSync(path.join(dir, 'ca.crt'), CA);
  r = await readKubeAccess(
    kubeconfig(dir, { 'certificate-authority': 'ca.crt' }, { tokenFile: 'token' }),
    'ctx',
  );
  assert.ok(r.ok);
  assert.deepEqual(r.access.credential, { kind: 'token', token: 'tok-2' });

  writeFileSync(path.join(dir, 'client.crt'), CERT);
  writeFileSync(path.join(dir, 'client.key'), KEY);
  r = await readKubeAccess(
    kubeconfig(dir, withCa, { 'client-certificate': 'client.crt', 'client-key': 'client.key' }),
    'ctx',
  );
  assert.ok(r.ok);
  assert.deepEqual(r.access.credential, { kind: 'client-certificate', cert: CERT, key: KEY });
});

test('what Warden cannot hold is refused with the reason, and never quotes a credential', async (t) => {
  const dir = tempDir(t, 'warden-kube-access-');
  const withCa = { 'certificate-authority-data': b64(CA) };
  const cases: Array<[Record<string, unknown>, Record<string, unknown>, RegExp]> = [
    [
      withCa,
      { exec: { command: '/usr/bin/gke-gcloud-auth-plugin' } },
      /exec plugin \(gke-gcloud-auth-plugin\)/,
    ],
    [withCa, { 'auth-provider': { name: 'oidc', config: { 'id-token': 'secret-id' } } }, /auth provider/],
    [withCa, { username: 'admin', password: 'secret-pw' }, /basic authentication/],
    [withCa, { token: 't', as: 'root' }, /impersonates/],
    [withCa, { 'client-certificate-data': b64(CERT) }, /without the other/],
    [{}, { token: 'secret-tok' }, /no certificate-authority/],
    [{ ...withCa, 'insecure-skip-tls-verify': true }, { token: 'secret-tok' }, /skips TLS verification/],
    [{ ...withCa, server: 'http://10.0.0.1:8080' }, { token: 'secret-tok' }, /not HTTPS/],
    [{ ...withCa, 'proxy-url': 'http://proxy:3128' }, { token: 'secret-tok' }, /own proxy/],
  ];
  for (const [cluster, user, why] of cases) {
    const r = await readKubeAccess(kubeconfig(dir, cluster, user), 'ctx');
    assert.equal(r.ok, false, String(why));
    if (r.ok) continue;
    assert.match(r.problem, why);
    assert.doesNotMatch(r.problem, /secret-/);
    assert.equal(r.host, '10.0.0.1', 'the server is still known, so the preset denies it');
  }
  const missing = await readKubeAccess(kubeconfig(dir, withCa, { token: 't' }), 'other');
  assert.equal(missing.ok, false);
  const absent = await readKubeAccess(path.join(dir, 'nope'), 'ctx');
  assert.equal(absent.ok, false);
});
