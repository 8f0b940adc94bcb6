// Minting a server certificate for one host, signed by the CA with ECDSA-SHA256. Everything
// that is the same for every leaf (issuer, leaf public key, fixed extensions) is built once.

import type { CaMaterial } from './ca-files.ts';
import type { LeafHost } from './leaf-host.ts';
import { randomSerial, SIGNING, subtle, x509 } from './x509-provider.ts';

export const LEAF_DAYS = 30;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface MintedLeaf {
  pem: string;
  notAfter: Date;
}

export type LeafMinter = (host: LeafHost, now: Date) => Promise<MintedLeaf>;

/** Prepare a minter that signs leaves for `leafPublicKey` with the CA's key. */
export async function createLeafMinter(ca: CaMaterial, leafPublicKey: CryptoKey): Promise<LeafMinter> {
  const ski = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  const authorityKeyId = ski
    ? new x509.AuthorityKeyIdentifierExtension(ski.keyId)
    : await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey);
  const fixedExtensions = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    authorityKeyId,
  ];
  const publicKey = new x509.PublicKey(await subtle.exportKey('spki', leafPublicKey));
  const issuer = ca.cert.subjectName;
  const caNotAfter = ca.cert.notAfter.getTime();

  return async (host, now) => {
    if (caNotAfter <= now.getTime()) {
      throw new Error(
        `the Warden CA expired on ${new Date(caNotAfter).toISOString()}; move its folder away to create a new one`,
      );
    }
    // From an hour ago (clock skew) for 30 days, never past the CA's own expiry.
    const notBefore = new Date(now.getTime() - HOUR_MS);
    const notAfter = new Date(Math.min(now.getTime() + LEAF_DAYS * DAY_MS, caNotAfter));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: new x509.Name([{ CN: [host.name] }]),
      issuer,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING,
      publicKey,
      signingKey: ca.signingKey,
      extensions: [
        ...fixedExtensions,
        new x509.SubjectAlternativeNameExtension([{ type: host.kind, value: host.name }]),
      ],
    });
    return { pem: cert.toString('pem'), notAfter };
  };
}
