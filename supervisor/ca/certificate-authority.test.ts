import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmod, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../test/support/temp-dir.ts';
import { CA_CERT_FILE, CA_KEY_FILE, CaError, CertificateAuthority } from './index.ts';
import { x509 } from './x509-provider.ts';

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

test('creates the CA folder 0700, ca.pem 0600 and a PKCS#8 ca-key.pem 0600, without temp files', async (t) => {
  const dir = path.join(tempDir(t), 'nested', 'ca');
  const ca = await CertificateAuthority.loadOrCreate(dir);
  assert.equal(await modeOf(dir), 0o700);
  assert.equal(await modeOf(path.join(dir, CA_CERT_FILE)), 0o600);
  assert.equal(await modeOf(path.join(dir, CA_KEY_FILE)), 0o600);
  assert.deepEqual((await readdir(dir)).sort(), [CA_CERT_FILE, CA_KEY_FILE].sort());
  const keyPem = await readFile(path.join(dir, CA_KEY_FILE), 'utf8');
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
  assert.equal(ca.certPath, path.join(dir, CA_CERT_FILE));
  assert.equal(ca.certPem.trim(), (await readFile(ca.certPath, 'utf8')).trim());
  assert.equal(ca.fingerprint256, new X509Certificate(ca.certPem).fingerprint256);
  assert.match(ca.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
});

test('the CA certificate is a 10-year EC P-256 CA with critical constraints and a key identifier', async (t) => {
  const ca = await CertificateAuthority.loadOrCreate(tempDir(t));
  const cert = new x509.X509Certificate(ca.certPem);
  assert.match(ca.subject, /^CN=Warden Local CA \(.+@.+\)$/);
  assert.equal(cert.subject, cert.issuer);
  const years = (cert.notAfter.getTime() - cert.notBefore.getTime()) / (365.25 * 86_400_000);
  assert.ok(years > 9.99 && years < 10.01, `validity ${years} years`);
  assert.equal((cert.publicKey.algorithm as EcKeyAlgorithm).namedCurve, 'P-256');
  assert.equal(cert.signatureAlgorithm.name, 'ECDSA');
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  assert.ok(basic?.ca && basic.critical);
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  assert.ok(usage?.critical);
  assert.equal(usage.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
  assert.ok(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  assert.ok(await cert.verify({ publicKey: cert.publicKey, signatureOnly: true }));
  assert.notEqual(cert.serialNumber, '01');
});

test('a reload keeps the same CA; two installs get different CAs', async (t) => {
  const dir = tempDir(t);
  const first = await CertificateAuthority.loadOrCreate(dir);
  const keyBefore = await readFile(path.join(dir, CA_KEY_FILE));
  const again = await CertificateAuthority.loadOrCreate(dir);
  assert.equal(again.fingerprint256, first.fingerprint256);
  assert.deepEqual(await readFile(path.join(dir, CA_KEY_FILE)), keyBefore);
  const other = await CertificateAuthority.loadOrCreate(tempDir(t));
  assert.notEqual(other.fingerprint256, first.fingerprint256);
});

test('concurrent first starts agree on one CA', async (t) => {
  const dir = tempDir(t);
  const all = await Promise.all([1, 2, 3, 4].map(() => CertificateAuthority.loadOrCreate(dir)));
  assert.equal(new Set(all.map((ca) => ca.fingerprint256)).size, 1);
});

test('a group/world-readable key is refused with the chmod to run', async (t) => {
  const dir = tempDir(t);
  await CertificateAuthority.loadOrCreate(dir);
  const keyPath = path.join(dir, CA_KEY_FILE);
  await chmod(keyPath, 0o640);
  await assert.rejects(CertificateAuthority.loadOrCreate(dir), (err: Error) => {
    assert.ok(err.message.includes(`chmod 600 ${keyPath}`), err.message);
    return true;
  });
  await chmod(keyPath, 0o600);
  await CertificateAuthority.loadOrCreate(dir);
});

for (const file of [CA_CERT_FILE, CA_KEY_FILE]) {
  test(`a corrupt ${file} is an error naming it and is left untouched`, async (t) => {
    const dir = tempDir(t);
    await CertificateAuthority.loadOrCreate(dir);
    const target = path.join(dir, file);
    const garbage = '-----BEGIN GARBAGE-----\nnot a pem\n';
    await writeFile(target, garbage, { mode: 0o600 });
    await assert.rejects(CertificateAuthority.loadOrCreate(dir), (err: Error) => {
      assert.ok(err instanceof CaError);
      assert.equal(err.file, target);
      assert.ok(err.message.includes(target), err.message);
      assert.match(err.message, /move the folder away/);
      return true;
    });
    assert.equal(await readFile(target, 'utf8'), garbage);
  });
}

test('a key from another CA is refused and nothing is replaced', async (t) => {
  const dir = tempDir(t);
  const ca = await CertificateAuthority.loadOrCreate(dir);
  const otherDir = tempDir(t);
  await CertificateAuthority.loadOrCreate(otherDir);
  const foreignKey = await readFile(path.join(otherDir, CA_KEY_FILE));
  await writeFile(path.join(dir, CA_KEY_FILE), foreignKey, { mode: 0o600 });
  await assert.rejects(CertificateAuthority.loadOrCreate(dir), /does not belong to the certificate/);
  assert.equal((await readFile(ca.certPath, 'utf8')).trim(), ca.certPem.trim());
  assert.deepEqual(await readFile(path.join(dir, CA_KEY_FILE)), foreignKey);
});

test('a folder with only one of the two files is an error, not a new CA', async (t) => {
  const dir = tempDir(t);
  await CertificateAuthority.loadOrCreate(dir);
  await rm(path.join(dir, CA_CERT_FILE));
  // Old enough not to look like another process still creating the CA.
  const old = new Date(Date.now() - 60_000);
  await utimes(path.join(dir, CA_KEY_FILE), old, old);
  await assert.rejects(CertificateAuthority.loadOrCreate(dir), /has ca-key\.pem but no ca\.pem/);
  assert.deepEqual(await readdir(dir), [CA_KEY_FILE]);
});

test('toString and inspect show the subject and fingerprint, never the key', async (t) => {
  const dir = tempDir(t);
  const ca = await CertificateAuthority.loadOrCreate(dir);
  const { inspect } = await import('node:util');
  const keyBody = (await readFile(path.join(dir, CA_KEY_FILE), 'utf8')).split('\n')[1] ?? '';
  for (const text of [String(ca), inspect(ca, { showHidden: true, depth: 5 }), JSON.stringify(ca)]) {
    assert.ok(!text.includes('PRIVATE KEY') && !text.includes(keyBody), text);
  }
  assert.ok(String(ca).includes(ca.fingerprint256));
});
