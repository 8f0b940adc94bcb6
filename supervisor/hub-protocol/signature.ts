// Request signing for the hub: the subset of RFC 9421 HTTP Message Signatures the contract
// names (supervisor/api/hub.ts), over "@method", "@path" and "content-digest" (RFC 9530),
// with created, keyid, alg="ed25519" and nonce. Both sides import these pure functions: the
// device signs, the hub parses, checks the digest and the time window, then checks the
// signature with the key it holds for keyid. Replay (a nonce seen before) is the hub's check.

import { createHash, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import { WardenError } from '../api/errors.ts';
import { HUB_LIMITS, HUB_SIGNATURE } from '../api/hub.ts';

const COMPONENTS = `(${HUB_SIGNATURE.components.map((c) => `"${c}"`).join(' ')})`;
const INPUT = new RegExp(
  `^${HUB_SIGNATURE.label}=${escapeRegExp(COMPONENTS)};created=([0-9]{1,12});keyid="([0-9a-f]{32})";alg="ed25519";nonce="([A-Za-z0-9_-]{16,64})"$`,
);
const SIGNATURE = new RegExp(`^${HUB_SIGNATURE.label}=:([A-Za-z0-9+/]{86}==):$`);
const DIGEST = /^sha-256=:([A-Za-z0-9+/]{43}=):$/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** RFC 9530 Content-Digest of a body: `sha-256=:<base64>:`. */
export function contentDigest(body: Uint8Array): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

export interface SignatureParams {
  created: number;
  keyid: string;
  nonce: string;
}

/** The serialized signature parameters (the Signature-Input member's value). */
export function signatureParams(p: SignatureParams): string {
  return `${COMPONENTS};created=${p.created};keyid="${p.keyid}";alg="${HUB_SIGNATURE.alg}";nonce="${p.nonce}"`;
}

/** RFC 9421 §2.5 signature base for our three components. */
export function signatureBase(method: string, path: string, digest: string, params: SignatureParams): string {
  return (
    `"@method": ${method.toUpperCase()}\n` +
    `"@path": ${path}\n` +
    `"content-digest": ${digest}\n` +
    `"@signature-params": ${signatureParams(params)}`
  );
}

export interface SignInput {
  method: string;
  /** The request path without its query. */
  path: string;
  body: Uint8Array;
  keyid: string;
  privateKey: KeyObject;
  /** Unix seconds (default now). */
  created?: number;
  nonce?: string;
}

/** The headers that sign a request. */
export function signRequest(input: SignInput): Record<string, string> {
  const params: SignatureParams = {
    created: input.created ?? Math.floor(Date.now() / 1000),
    keyid: input.keyid,
    nonce: input.nonce ?? randomBytes(18).toString('base64url'),
  };
  const digest = contentDigest(input.body);
  const signature = sign(
    null,
    Buffer.from(signatureBase(input.method, input.path, digest, params)),
    input.privateKey,
  );
  const { headers } = HUB_SIGNATURE;
  return {
    [headers.digest]: digest,
    [headers.input]: `${HUB_SIGNATURE.label}=${signatureParams(params)}`,
    [headers.signature]: `${HUB_SIGNATURE.label}=:${signature.toString('base64')}:`,
  };
}

export type HeaderBag = Record<string, string | string[] | undefined>;

function one(headers: HeaderBag, name: string): string {
  const value = headers[name];
  if (typeof value !== 'string') {
    throw new WardenError(
      'Unauthorized',
      value === undefined
        ? `the request has no ${name} header`
        : `the request has more than one ${name} header`,
      'Requests to the hub must be signed by an enrolled device (warden sync enroll).',
    );
  }
  return value;
}

export interface ParsedSignature extends SignatureParams {
  base: string;
  signature: Buffer;
}

/**
 * Check a request's digest, signature headers and time window (not the signature itself:
 * that needs the key of `keyid`). Throws Unauthorized (or BadRequest for a body that does
 * not match its digest) naming what is wrong.
 */
export function parseSignedRequest(
  method: string,
  path: string,
  headers: HeaderBag,
  body: Uint8Array,
  nowMs: number = Date.now(),
): ParsedSignature {
  const { headers: names } = HUB_SIGNATURE;
  const digest = one(headers, names.digest);
  if (!DIGEST.test(digest)) {
    throw new WardenError('Unauthorized', 'the Content-Digest header is not a single sha-256 digest');
  }
  if (digest !== contentDigest(body)) {
    throw new WardenError(
      'BadRequest',
      'the body does not match its Content-Digest (changed or cut in transit)',
    );
  }
  const input = INPUT.exec(one(headers, names.input));
  if (!input) {
    throw new WardenError(
      'Unauthorized',
      'the Signature-Input header is not the scheme the hub takes',
      `Expected ${HUB_SIGNATURE.label}=${COMPONENTS};created=…;keyid="<device id>";alg="ed25519";nonce="…".`,
    );
  }
  const sig = SIGNATURE.exec(one(headers, names.signature));
  if (!sig) throw new WardenError('Unauthorized', 'the Signature header is not one Ed25519 signature');
  const params: SignatureParams = { created: Number(input[1]), keyid: input[2]!, nonce: input[3]! };
  const nowSec = nowMs / 1000;
  if (
    params.created < nowSec - HUB_LIMITS.signatureMaxAgeSec ||
    params.created > nowSec + HUB_LIMITS.signatureMaxAheadSec
  ) {
    throw new WardenError(
      'Unauthorized',
      `the request was signed at ${new Date(params.created * 1000).toISOString()}, outside the hub's window of ` +
        `${HUB_LIMITS.signatureMaxAgeSec} s (replayed, or the device clock is wrong)`,
      "Check the device's clock; a replayed request is refused.",
    );
  }
  return {
    ...params,
    base: signatureBase(method, path, digest, params),
    signature: Buffer.from(sig[1]!, 'base64'),
  };
}

/** Does the parsed request's signature verify with this key? */
export function signatureValid(parsed: ParsedSignature, publicKey: KeyObject): boolean {
  return verify(null, Buffer.from(parsed.base), publicKey, parsed.signature);
}
