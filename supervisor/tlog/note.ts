// C2SP signed-note with Ed25519 (https://c2sp.org/signed-note): the text, a blank line, then
// one line per signature, "— <name> <base64(key id ‖ signature)>". The key id is the first
// four bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key). Keys travel in the note formats:
// verifier "<name>+<hex key id>+<base64(0x01 ‖ public key)>", signer
// "PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 ‖ seed)>".

import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

const ED25519 = 0x01;
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SIG_PREFIX = '\u2014 ';
const MAX_SIGNATURES = 100;

export class NoteError extends Error {
  override readonly name = 'NoteError';
}

/** A key name: non-empty, no whitespace, no '+'. */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

/** The 32-bit key id of an Ed25519 key named `name`. */
export function keyId(name: string, publicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(name)
    .update(Buffer.from([0x0a, ED25519]))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

export function ed25519PublicKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new NoteError('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export function ed25519PrivateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new NoteError('an Ed25519 private key seed is 32 bytes');
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The raw 32-byte public key of an Ed25519 key object. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}

/** The 32-byte seed of an Ed25519 private key object. */
export function rawSeed(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
}

export interface NoteVerifier {
  name: string;
  id: number;
  publicKey: Buffer;
  key: KeyObject;
}

export interface NoteSigner extends NoteVerifier {
  privateKey: KeyObject;
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

function strictBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

function splitKey(text: string, what: string): { name: string; id: number; key: Buffer } {
  // The base64 key may itself hold '+': only the first two separate fields.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new NoteError(`${what} must be <name>+<key id>+<base64 key>`);
  const name = text.slice(0, first);
  const idHex = text.slice(first + 1, second);
  const b64 = text.slice(second + 1);
  if (!isKeyName(name)) throw new NoteError(`${what} has an invalid name`);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new NoteError(`${what} has an invalid key id`);
  const key = strictBase64(b64);
  if (key?.length !== 33 || key[0] !== ED25519) throw new NoteError(`${what} is not an Ed25519 key`);
  return { name, id: Number.parseInt(idHex, 16), key: key.subarray(1) };
}

/** Parse a verifier key "<name>+<hex id>+<base64(0x01 ‖ public key)>", checking its id. */
export function parseVerifierKey(text: string): NoteVerifier {
  const { name, id, key } = splitKey(text, 'the verifier key');
  if (keyId(name, key) !== id) throw new NoteError('the verifier key id does not match its key');
  return { name, id, publicKey: key, key: ed25519PublicKeyObject(key) };
}

export function formatVerifierKey(v: Pick<NoteVerifier, 'name' | 'publicKey'>): string {
  const b64 = Buffer.concat([Buffer.from([ED25519]), v.publicKey]).toString('base64');
  return `${v.name}+${hex8(keyId(v.name, v.publicKey))}+${b64}`;
}

/** Parse a signer key "PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>". */
export function parseSignerKey(text: string): NoteSigner {
  if (!text.startsWith('PRIVATE+KEY+')) throw new NoteError('the signer key must start with PRIVATE+KEY+');
  const { name, id, key } = splitKey(text.slice('PRIVATE+KEY+'.length), 'the signer key');
  const privateKey = ed25519PrivateKeyObject(key);
  const publicKey = rawPublicKey(privateKey);
  if (keyId(name, publicKey) !== id) throw new NoteError('the signer key id does not match its key');
  return { name, id, publicKey, key: createPublicKey(privateKey), privateKey };
}

export function formatSignerKey(s: NoteSigner): string {
  const b64 = Buffer.concat([Buffer.from([ED25519]), rawSeed(s.privateKey)]).toString('base64');
  return `PRIVATE+KEY+${s.name}+${hex8(s.id)}+${b64}`;
}

/** A signer from an Ed25519 private key. */
export function noteSigner(name: string, privateKey: KeyObject): NoteSigner {
  if (!isKeyName(name)) throw new NoteError(`invalid key name ${JSON.stringify(name)}`);
  const publicKey = rawPublicKey(privateKey);
  return { name, id: keyId(name, publicKey), publicKey, key: createPublicKey(privateKey), privateKey };
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new NoteError('a note text must end with a newline');
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text))
    throw new NoteError('a note text holds a control character');
  if (text.includes('\n\n') || text.startsWith('\n')) throw new NoteError('a note text holds a blank line');
}

/** The signed note: text, a blank line, and one signature line per signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkText(text);
  const lines = signers.map((s) => {
    const sig = sign(null, Buffer.from(text, 'utf8'), s.privateKey);
    const id = Buffer.alloc(4);
    id.writeUInt32BE(s.id);
    return `${SIG_PREFIX}${s.name} ${Buffer.concat([id, sig]).toString('base64')}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

export interface OpenedNote {
  text: string;
  /** The verifiers whose signatures checked out. */
  verifiedBy: string[];
}

/**
 * Split and check a signed note; throws unless at least one of `verifiers` signed it.
 * Signatures by unknown keys are ignored; a known key whose signature fails is an error.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  const cut = note.lastIndexOf('\n\n');
  if (cut < 0 || !note.endsWith('\n')) throw new NoteError('malformed note: no signature block');
  const text = note.slice(0, cut + 1);
  checkText(text);
  const lines = note.slice(cut + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new NoteError('malformed note: too many signatures');
  const verifiedBy: string[] = [];
  for (const line of lines) {
    if (!line.startsWith(SIG_PREFIX))
      throw new NoteError('malformed note: a signature line must start with "— "');
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = rest.slice(0, space);
    const blob = space > 0 ? strictBase64(rest.slice(space + 1)) : null;
    if (!isKeyName(name) || !blob || blob.length < 5)
      throw new NoteError('malformed note: bad signature line');
    const id = blob.readUInt32BE(0);
    const v = verifiers.find((k) => k.name === name && k.id === id);
    if (!v) continue;
    if (!verify(null, Buffer.from(text, 'utf8'), v.key, blob.subarray(4))) {
      throw new NoteError(`the signature by ${name} does not verify: the note was altered or forged`);
    }
    if (!verifiedBy.includes(name)) verifiedBy.push(name);
  }
  if (verifiedBy.length === 0) throw new NoteError('the note carries no signature by a known key');
  return { text, verifiedBy };
}
