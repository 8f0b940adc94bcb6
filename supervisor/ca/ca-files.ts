// The CA on disk: `ca.pem` (certificate) and `ca-key.pem` (PKCS#8), both 0600, in a 0700
// folder. An existing CA is loaded and checked, never silently replaced.

import { createPrivateKey, type KeyObject, X509Certificate as NodeX509 } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertOwnerOnly, readIfExists, writeFileAtomic } from '../secrets/index.ts';
import { CaError, regenerateHint } from './ca-error.ts';
import { EC_KEY, randomSerial, SIGNING, subtle, x509 } from './x509-provider.ts';

export const CA_CERT_FILE = 'ca.pem';
export const CA_KEY_FILE = 'ca-key.pem';
const CA_YEARS = 10;
const HOUR_MS = 3_600_000;

/** A CA ready to sign: its certificate and a non-extractable signing key. */
export interface CaMaterial {
  certPem: string;
  cert: x509.X509Certificate;
  nodeCert: NodeX509;
  signingKey: CryptoKey;
}

export function caPaths(dir: string): { cert: string; key: string } {
  return { cert: path.join(dir, CA_CERT_FILE), key: path.join(dir, CA_KEY_FILE) };
}

/** Load the CA in `dir`, creating it when the folder holds neither file. */
export async function loadOrCreateCaFiles(dir: string, now: Date): Promise<CaMaterial> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const files = caPaths(dir);
  for (let attempt = 0; ; attempt++) {
    const [certBytes, keyBytes] = await Promise.all([readIfExists(files.cert), readIfExists(files.key)]);
    if (certBytes === undefined && keyBytes === undefined) {
      try {
        return await createCaFiles(dir, now);
      } catch (err) {
        // Another process is creating the CA (our exclusive create lost): load theirs.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        continue;
      }
    }
    // Half a CA that was written moments ago is another process still creating it: wait.
    if ((certBytes === undefined || keyBytes === undefined) && attempt < PARTIAL_RETRIES) {
      const present = certBytes === undefined ? files.key : files.cert;
      if (await isRecent(present)) {
        await sleep(PARTIAL_RETRY_MS);
        continue;
      }
    }
    return checkCaFiles(dir, certBytes, keyBytes);
  }
}

const PARTIAL_RETRIES = 80;
const PARTIAL_RETRY_MS = 25;

async function isRecent(file: string): Promise<boolean> {
  try {
    return Date.now() - (await fsp.stat(file)).mtimeMs < 10_000;
  } catch {
    return true; // it just vanished: look again
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function checkCaFiles(
  dir: string,
  certBytes: Buffer | undefined,
  keyBytes: Buffer | undefined,
): Promise<CaMaterial> {
  const files = caPaths(dir);
  if (certBytes === undefined) {
    throw new CaError(
      `CA folder ${dir} has ${CA_KEY_FILE} but no ${CA_CERT_FILE}`,
      files.cert,
      regenerateHint(dir),
    );
  }
  if (keyBytes === undefined) {
    throw new CaError(
      `CA folder ${dir} has ${CA_CERT_FILE} but no ${CA_KEY_FILE}`,
      files.key,
      regenerateHint(dir),
    );
  }
  await assertOwnerOnly(files.key, 'CA private key');
  return parseCaFiles(dir, certBytes.toString('utf8'), keyBytes);
}

async function createCaFiles(dir: string, now: Date): Promise<CaMaterial> {
  const keys = (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notBefore = new Date(now.getTime() - HOUR_MS);
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [caCommonName()] }],
    notBefore,
    notAfter,
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  const certPem = cert.toString('pem');
  const files = caPaths(dir);
  // Key first: a cert without its key is useless, a key without its cert is reported on load.
  await writeFileAtomic(files.key, keyPem, { mode: 0o600, exclusive: true });
  await writeFileAtomic(files.cert, `${certPem}\n`, { mode: 0o600, exclusive: true });
  return parseCaFiles(dir, `${certPem}\n`, Buffer.from(keyPem));
}

async function parseCaFiles(dir: string, certText: string, keyBytes: Buffer): Promise<CaMaterial> {
  const files = caPaths(dir);
  let nodeCert: NodeX509;
  let cert: x509.X509Certificate;
  try {
    nodeCert = new NodeX509(certText);
    cert = new x509.X509Certificate(certText);
  } catch (err) {
    throw new CaError(
      `CA certificate ${files.cert} cannot be parsed (${(err as Error).message})`,
      files.cert,
      regenerateHint(dir),
    );
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(keyBytes);
  } catch {
    throw new CaError(`CA private key ${files.key} cannot be parsed`, files.key, regenerateHint(dir));
  }
  if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new CaError(`CA private key ${files.key} is not an EC P-256 key`, files.key, regenerateHint(dir));
  }
  if (!nodeCert.ca) {
    throw new CaError(`${files.cert} is not a CA certificate`, files.cert, regenerateHint(dir));
  }
  if (!nodeCert.checkPrivateKey(keyObject)) {
    throw new CaError(
      `CA private key ${files.key} does not belong to the certificate ${files.cert}`,
      files.key,
      `Restore the matching pair from a backup, or: ${regenerateHint(dir)}`,
    );
  }
  const pkcs8 = keyObject.export({ format: 'der', type: 'pkcs8' });
  const signingKey = await subtle.importKey('pkcs8', pkcs8, EC_KEY, false, ['sign']);
  return { certPem: nodeCert.toString(), cert, nodeCert, signingKey };
}

function caCommonName(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? 'user';
  }
  return `Warden Local CA (${user}@${os.hostname()})`;
}
