import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import tls from 'node:tls';
import { tempDir } from '../../test/support/temp-dir.ts';
import { CertificateAuthority } from './index.ts';
import { x509 } from './x509-provider.ts';

const DAY = 86_400_000;

/** A TLS server that picks its certificate by SNI, as `tls.createServer({ SNICallback })`. */
async function withSniServer<T>(ca: CertificateAuthority, fn: (port: number) => Promise<T>): Promise<T> {
  const server = tls.createServer(
    {
      SNICallback: (servername, cb) => {
        ca.secureContextFor(servername).then(
          (context) => cb(null, context),
          (err: Error) => cb(err, undefined),
        );
      },
    },
    (socket) => socket.end('hello'),
  );
  return listening(server, fn);
}

/**
 * A client connecting to an IP address sends no SNI, so the proxy answers with the context
 * for the CONNECT target: a TLSSocket over the raw connection, as the proxy does it.
 */
async function withTargetServer<T>(
  ca: CertificateAuthority,
  target: string,
  fn: (port: number) => Promise<T>,
): Promise<T> {
  const server = net.createServer((raw) => {
    ca.secureContextFor(target).then((secureContext) => {
      const socket = new tls.TLSSocket(raw, { isServer: true, secureContext });
      socket.on('secure', () => socket.end('hello'));
      socket.on('error', () => raw.destroy());
    });
  });
  return listening(server, fn);
}

async function listening<T>(server: net.Server, fn: (port: number) => Promise<T>): Promise<T> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn((server.address() as AddressInfo).port);
  } finally {
    server.close();
  }
}

function connect(options: tls.ConnectionOptions): Promise<{ text: string; peer: tls.PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(options, () => {
      const peer = socket.getPeerCertificate();
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('end', () => resolve({ text, peer }));
    });
    socket.on('error', reject);
  });
}

test('a TLS client trusting the CA verifies a leaf for a DNS name chosen by SNI', async (t) => {
  const ca = await CertificateAuthority.loadOrCreate(tempDir(t));
  await withSniServer(ca, async (port) => {
    const { text, peer } = await connect({
      host: '127.0.0.1',
      port,
      servername: 'api.example.test',
      ca: ca.certPem,
    });
    assert.equal(text, 'hello');
    assert.equal(peer.subject.CN, 'api.example.test');
    assert.equal(peer.subjectaltname, 'DNS:api.example.test');
    // Without the CA the same server is rejected: the check above is real.
    await assert.rejects(connect({ host: '127.0.0.1', port, servername: 'api.example.test' }), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
  });
});

test('a TLS client trusting the CA verifies a leaf for an IP address', async (t) => {
  const ca = await CertificateAuthority.loadOrCreate(tempDir(t));
  await withTargetServer(ca, '127.0.0.1', async (port) => {
    const { text, peer } = await connect({ host: '127.0.0.1', port, ca: ca.certPem });
    assert.equal(text, 'hello');
    assert.equal(peer.subjectaltname, 'IP Address:127.0.0.1');
    // A leaf for another address does not verify for 127.0.0.1.
    await withTargetServer(ca, '127.0.0.2', async (otherPort) => {
      await assert.rejects(connect({ host: '127.0.0.1', port: otherPort, ca: ca.certPem }), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    });
  });
});

test('leaves carry the right SAN type, EKU, key identifiers, validity and chain', async (t) => {
  const ca = await CertificateAuthority.loadOrCreate(tempDir(t));
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const before = Date.now();
  for (const [host, san] of [
    ['Example.COM.', { type: 'dns', value: 'example.com' }],
    ['10.1.2.3', { type: 'ip', value: '10.1.2.3' }],
    ['[::1]', { type: 'ip', value: '::1' }],
  ] as const) {
    const leaf = new x509.X509Certificate(await ca.leafPem(host));
    assert.equal(leaf.subject, `CN=${san.value}`);
    assert.equal(leaf.issuer, ca.subject);
    const names = leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON();
    assert.deepEqual(names, [san]);
    assert.deepEqual(
      [...(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])],
      [x509.ExtendedKeyUsage.serverAuth],
    );
    assert.equal(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, caKeyId);
    assert.equal(leaf.getExtension(x509.BasicConstraintsExtension)?.ca, false);
    assert.equal(leaf.signatureAlgorithm.name, 'ECDSA');
    assert.equal(((leaf.signatureAlgorithm as EcdsaParams).hash as Algorithm).name, 'SHA-256');
    assert.ok(await leaf.verify({ publicKey: caCert.publicKey, signatureOnly: true }));
    const lead = before - leaf.notBefore.getTime();
    assert.ok(lead > 3_590_000 && lead < 3_700_000, `notBefore ${lead} ms before now`);
    const days = (leaf.notAfter.getTime() - leaf.notBefore.getTime() - 3_600_000) / DAY;
    assert.ok(Math.abs(days - 30) < 0.01, `${days} days`);
  }
  await assert.rejects(ca.secureContextFor('bad host!'), /not a DNS name or IP address/);
  await assert.rejects(ca.secureContextFor('*.wild.test'), /not a DNS name or IP address/);
});

test('every leaf of one CA instance shares one key pair; leaves of different hosts differ', async (t) => {
  const ca = await CertificateAuthority.loadOrCreate(tempDir(t));
  const a = new X509Certificate(await ca.leafPem('a.test'));
  const b = new X509Certificate(await ca.leafPem('b.test'));
  assert.notEqual(a.serialNumber, b.serialNumber);
  assert.ok(a.publicKey.equals(b.publicKey));
  assert.equal(
    tls.checkServerIdentity('a.test', { subjectaltname: a.subjectAltName } as tls.PeerCertificate),
    undefined,
  );
  assert.ok(tls.checkServerIdentity('b.test', { subjectaltname: a.subjectAltName } as tls.PeerCertificate));
});

test('openssl verifies a leaf against ca.pem for server use', async (t) => {
  const probe = spawnSync('openssl', ['version']);
  if (probe.error || probe.status !== 0) {
    t.skip('openssl is not installed; skipping the openssl cross-check');
    return;
  }
  const dir = tempDir(t);
  const ca = await CertificateAuthority.loadOrCreate(path.join(dir, 'ca'));
  for (const [host, flag] of [
    ['api.example.test', '-verify_hostname'],
    ['127.0.0.1', '-verify_ip'],
  ] as const) {
    const leafPath = path.join(dir, `${host}.pem`);
    await writeFile(leafPath, await ca.leafPem(host));
    const out = execFileSync(
      'openssl',
      ['verify', '-CAfile', ca.certPath, '-purpose', 'sslserver', flag, host, leafPath],
      { encoding: 'utf8' },
    );
    assert.equal(out.trim(), `${leafPath}: OK`);
  }
  // And openssl does reject a leaf for a different name.
  const wrong = spawnSync('openssl', [
    'verify',
    '-CAfile',
    ca.certPath,
    '-verify_hostname',
    'other.test',
    path.join(dir, 'api.example.test.pem'),
  ]);
  assert.notEqual(wrong.status, 0);
});

test('concurrent calls for one host share one mint and one context', async (t) => {
  const ca = await CertificateAuthority.loadOrCreate(tempDir(t));
  const contexts = await Promise.all(Array.from({ length: 20 }, () => ca.secureContextFor('same.test')));
  assert.equal(ca.mintCount, 1);
  assert.equal(new Set(contexts).size, 1);
  assert.equal(await ca.secureContextFor('SAME.test.'), contexts[0]);
  assert.equal(ca.mintCount, 1);
});

test('the cache is a bounded LRU', async (t) => {
  const ca = await CertificateAuthority.loadOrCreate(tempDir(t), { cacheSize: 3 });
  for (const host of ['a.test', 'b.test', 'c.test']) await ca.secureContextFor(host);
  await ca.secureContextFor('a.test'); // a is now the most recent; b the oldest
  await ca.secureContextFor('d.test'); // evicts b
  assert.equal(ca.cacheSize, 3);
  assert.equal(ca.mintCount, 4);
  await ca.secureContextFor('a.test');
  await ca.secureContextFor('c.test');
  await ca.secureContextFor('d.test');
  assert.equal(ca.mintCount, 4);
  await ca.secureContextFor('b.test');
  assert.equal(ca.mintCount, 5);
  assert.equal(ca.cacheSize, 3);
});

test('expired leaves are minted again, and no leaf outlives the CA', async (t) => {
  let now = new Date();
  const dir = tempDir(t);
  const ca = await CertificateAuthority.loadOrCreate(dir, { now: () => now });
  const first = await ca.leafPem('a.test');
  now = new Date(now.getTime() + 29 * DAY);
  assert.equal(await ca.leafPem('a.test'), first);
  now = new Date(now.getTime() + 1 * DAY);
  const second = await ca.leafPem('a.test');
  assert.notEqual(second, first);
  assert.equal(ca.mintCount, 2);

  now = new Date(ca.notAfter.getTime() - 5 * DAY);
  const late = new X509Certificate(await ca.leafPem('late.test'));
  assert.equal(new Date(late.validTo).getTime(), Math.floor(ca.notAfter.getTime() / 1000) * 1000);
  now = new Date(ca.notAfter.getTime() + DAY);
  await assert.rejects(ca.leafPem('after.test'), /CA expired/);
});

test('a failed mint is not cached and can be retried', async (t) => {
  let now = new Date();
  const ca = await CertificateAuthority.loadOrCreate(tempDir(t), { now: () => now });
  const valid = now;
  now = new Date(ca.notAfter.getTime() + DAY);
  await assert.rejects(ca.secureContextFor('x.test'), /CA expired/);
  now = valid;
  await ca.secureContextFor('x.test');
  assert.equal(ca.cacheSize, 1);
});

test("a cached lookup never mints again (timings printed; speed is the bench's job)", async (t) => {
  const ca = await CertificateAuthority.loadOrCreate(tempDir(t));
  await ca.secureContextFor('warm.test');
  const hosts = Array.from({ length: 100 }, (_, i) => `h${i}.example.test`);
  let started = performance.now();
  for (const host of hosts) await ca.secureContextFor(host);
  const mintMs = (performance.now() - started) / hosts.length;
  const lookups = 20_000;
  started = performance.now();
  for (let i = 0; i < lookups; i++) await ca.secureContextFor(hosts[i % hosts.length] as string);
  const lookupUs = ((performance.now() - started) / lookups) * 1000;
  t.diagnostic(`mint: ${mintMs.toFixed(2)} ms per leaf; cached lookup: ${lookupUs.toFixed(2)} µs`);
  // One leaf per host (the warm one and the 100), however many lookups followed.
  assert.equal(ca.mintCount, 101);
  assert.equal(ca.cacheSize, 101);
});
