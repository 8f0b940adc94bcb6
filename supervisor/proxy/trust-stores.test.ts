import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import { tempDir } from '../../test/support/temp-dir.ts';
import { CertificateAuthority } from '../ca/index.ts';
import { loadTrustStores, TrustStoreError } from './trust-stores.ts';

test('the OS bundle adds only what Node does not bundle; SSL_CERT_FILE names it', async (t) => {
  const dir = tempDir(t);
  const ca = await CertificateAuthority.loadOrCreate(path.join(dir, 'ca'));
  const bundle = path.join(dir, 'bundle.pem');
  // Two of Node's own roots, a block that is not a certificate, and the private CA.
  const bogus = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----';
  writeFileSync(bundle, [tls.rootCertificates[0], tls.rootCertificates[1], bogus, ca.certPem].join('\n'));
  const loaded = loadTrustStores({ nodeExtraCaCerts: '' }, { SSL_CERT_FILE: bundle });
  assert.equal(loaded.extraCa.length, 1, 'only the private CA is new');
  const system = loaded.stores.find((s) => s.source === 'system');
  assert.equal(system?.path, bundle);
  assert.equal(system?.certificates, 3);
  assert.match(system?.problem ?? '', /1 certificate\(s\) could not be parsed/);
  assert.ok(loaded.warnings.some((w) => w.includes(bundle)));
});

test('an empty bundle and a missing NODE_EXTRA_CA_CERTS are warnings; WARDEN_UPSTREAM_CA must be readable', (t) => {
  const dir = tempDir(t);
  const empty = path.join(dir, 'empty.pem');
  writeFileSync(empty, '# nothing here\n');
  const loaded = loadTrustStores(
    { systemBundles: [empty], nodeExtraCaCerts: path.join(dir, 'gone.pem') },
    {},
  );
  assert.deepEqual(loaded.extraCa, []);
  assert.equal(loaded.warnings.length, 2);
  assert.match(
    loaded.warnings.join('\n'),
    /holds no PEM certificate[\s\S]*gone\.pem cannot be read \(ENOENT\)/,
  );
  assert.throws(
    () => loadTrustStores({ systemBundles: [], upstreamCaFile: path.join(dir, 'gone.pem') }, {}),
    (e: unknown) =>
      e instanceof TrustStoreError && /WARDEN_UPSTREAM_CA .*gone\.pem cannot be read/.test(e.message),
  );
});
