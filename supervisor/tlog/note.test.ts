import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.ts';
import {
  formatSignerKey,
  formatVerifierKey,
  noteSigner,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
} from './note.ts';

// The example of golang.org/x/mod/sumdb/note (also in the C2SP signed-note text).
const SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIGNED = `${TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

test('the published signed-note vector: same keys, same signature, and it opens', () => {
  const signer = parseSignerKey(SKEY);
  assert.equal(signer.id, 0xc74f20a3);
  assert.equal(formatVerifierKey(signer), VKEY);
  assert.equal(formatSignerKey(signer), SKEY);
  assert.equal(signNote(TEXT, [signer]), SIGNED);
  const verifier = parseVerifierKey(VKEY);
  assert.deepEqual(openNote(SIGNED, [verifier]), { text: TEXT, verifiedBy: ['PeterNeumann'] });
});

test('an altered, unsigned or malformed note is refused', () => {
  const verifier = parseVerifierKey(VKEY);
  assert.throws(
    () => openNote(SIGNED.replace('cryptography', 'cryptographY'), [verifier]),
    /does not verify/,
  );
  const other = noteSigner('PeterNeumann', generateKeyPairSync('ed25519').privateKey);
  assert.throws(() => openNote(signNote(TEXT, [other]), [verifier]), /no signature by a known key/);
  assert.throws(() => openNote(TEXT, [verifier]), /malformed/);
  assert.throws(() => openNote(`${TEXT}\n- PeterNeumann AAAA\n`, [verifier]), /malformed/);
  assert.throws(() => openNote(`${TEXT}\n— PeterNeumann !!!\n`, [verifier]), /malformed/);
  assert.throws(() => parseVerifierKey(VKEY.replace('c74f20a3', 'c74f20a4')), /id does not match/);
  assert.throws(() => parseVerifierKey('a+b'), /must be/);
  assert.throws(() => signNote('no newline', [parseSignerKey(SKEY)]), /newline/);
  assert.throws(() => signNote('a\u0007\n', [parseSignerKey(SKEY)]), /control/);
});

test('a note signed by two logs opens for either, and an unknown extra signer is ignored', () => {
  const a = noteSigner('hub.example/a', generateKeyPairSync('ed25519').privateKey);
  const b = noteSigner('hub.example/b', generateKeyPairSync('ed25519').privateKey);
  const note = signNote('hello\n', [a, b]);
  assert.deepEqual(openNote(note, [b]).verifiedBy, ['hub.example/b']);
  assert.deepEqual(openNote(note, [a, b]).verifiedBy, ['hub.example/a', 'hub.example/b']);
});

test('checkpoints format and parse strictly', () => {
  const root = Buffer.alloc(32, 7);
  const text = formatCheckpoint({ origin: 'warden-hub.example/log', size: 42, root, extensions: ['x y'] });
  assert.equal(text, `warden-hub.example/log\n42\n${root.toString('base64')}\nx y\n`);
  assert.deepEqual(parseCheckpoint(text), {
    origin: 'warden-hub.example/log',
    size: 42,
    root,
    extensions: ['x y'],
  });
  for (const bad of [
    'o\n42\n',
    `o\n042\n${root.toString('base64')}\n`,
    `o\n-1\n${root.toString('base64')}\n`,
    `o\n1\n${Buffer.alloc(31).toString('base64')}\n`,
    `o\n1\n${root.toString('base64')}`,
    `\n1\n${root.toString('base64')}\n`,
    `o\n1\n${root.toString('base64')}\n\n`,
  ]) {
    assert.throws(() => parseCheckpoint(bad), /checkpoint|size|root/, JSON.stringify(bad));
  }
});
