// The enrollment string (`warden hub token create` prints it, `warden sync enroll` reads it),
// the device id derived from a device key, and the TLS pin of a certificate.

import { createHash, X509Certificate } from 'node:crypto';
import { Ajv } from 'ajv';
import { WardenError } from '../api/errors.ts';
import { ENROLLMENT_PREFIX, type HubEnrollment, HubEnrollmentSchema } from '../api/hub.ts';

const validate = new Ajv({ allErrors: true, strict: false }).compile(HubEnrollmentSchema);

export function formatEnrollment(e: HubEnrollment): string {
  if (!validate(e)) throw new WardenError('BadRequest', 'invalid enrollment fields');
  const json = JSON.stringify({ url: e.url, hubKey: e.hubKey, tlsPin: e.tlsPin, token: e.token });
  return ENROLLMENT_PREFIX + Buffer.from(json).toString('base64url');
}

export function parseEnrollment(text: string): HubEnrollment {
  const hint = 'Copy the whole string `warden hub token create` printed (it starts with warden-enroll-v1:).';
  const trimmed = text.trim();
  if (!trimmed.startsWith(ENROLLMENT_PREFIX)) {
    throw new WardenError('BadRequest', 'this is not a Warden enrollment string', hint);
  }
  const b64 = trimmed.slice(ENROLLMENT_PREFIX.length);
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(b64))
    throw new WardenError('BadRequest', 'the enrollment string is damaged', hint);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(b64, 'base64url').toString('utf8'));
  } catch {
    throw new WardenError('BadRequest', 'the enrollment string is damaged', hint);
  }
  if (!validate(value))
    throw new WardenError('BadRequest', 'the enrollment string is damaged or incomplete', hint);
  return value as HubEnrollment;
}

/** A device's id: the first 16 bytes of SHA-256 of its raw Ed25519 public key, hex. */
export function deviceIdOf(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest().subarray(0, 16).toString('hex');
}

/** sha256/<base64 SHA-256 of the certificate's SubjectPublicKeyInfo> (survives a renewal on the same key). */
export function tlsPinOf(cert: string | Buffer | X509Certificate): string {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256/${createHash('sha256').update(spki).digest('base64')}`;
}
