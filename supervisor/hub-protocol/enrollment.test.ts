import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { WardenError } from '../api/errors.ts';
import { deviceIdOf, formatEnrollment, parseEnrollment } from './enrollment.ts';

const enrollment = {
  url: 'http://127.0.0.1:8443',
  hubKey: 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  tlsPin: null,
  token: 'A'.repeat(43),
};

test('an enrollment string round-trips and tolerates surrounding whitespace', () => {
  const text = formatEnrollment(enrollment);
  assert.match(text, /^warden-enroll-v1:[A-Za-z0-9_-]+$/);
  assert.deepEqual(parseEnrollment(`  ${text}\n`), enrollment);
  const pinned = { ...enrollment, url: 'https://hub.example:443', tlsPin: `sha256/${'B'.repeat(43)}=` };
  assert.deepEqual(parseEnrollment(formatEnrollment(pinned)), pinned);
});

test('damaged or foreign enrollment strings are refused with a hint', () => {
  const bad = (text: string) =>
    assert.throws(
      () => parseEnrollment(text),
      (e: unknown) =>
        e instanceof WardenError && e.name === 'BadRequest' && /warden-enroll-v1/.test(e.hint ?? ''),
    );
  bad('hello');
  bad('warden-enroll-v1:!!!');
  bad(`warden-enroll-v1:${Buffer.from('{').toString('base64url')}`);
  bad(
    `warden-enroll-v1:${Buffer.from(JSON.stringify({ ...enrollment, token: 'short' })).toString('base64url')}`,
  );
  bad(
    `warden-enroll-v1:${Buffer.from(JSON.stringify({ ...enrollment, url: 'ftp://x' })).toString('base64url')}`,
  );
  bad(`warden-enroll-v1:${Buffer.from(JSON.stringify({ ...enrollment, more: 1 })).toString('base64url')}`);
});

test('the device id is the first 16 bytes of SHA-256 of the public key', () => {
  const key = Buffer.alloc(32, 9);
  assert.equal(deviceIdOf(key), createHash('sha256').update(key).digest('hex').slice(0, 32));
});
