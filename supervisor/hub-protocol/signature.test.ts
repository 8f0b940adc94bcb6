import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { WardenError } from '../api/errors.ts';
import {
  contentDigest,
  parseSignedRequest,
  signatureBase,
  signatureValid,
  signRequest,
} from './signature.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keyid = '0123456789abcdef0123456789abcdef';
const body = Buffer.from('{"head":null,"backlog":0,"time":1}');
const now = Date.UTC(2026, 11, 6, 22, 0, 0);
const created = Math.floor(now / 1000);

function signed(over: Partial<Parameters<typeof signRequest>[0]> = {}) {
  return signRequest({
    method: 'POST',
    path: '/hub/v1/heartbeat',
    body,
    keyid,
    privateKey,
    created,
    ...over,
  });
}

test("Content-Digest is RFC 9530 sha-256 (the RFC's example body)", () => {
  // RFC 9530 §2: {"hello": "world"} → X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=
  assert.equal(
    contentDigest(Buffer.from('{"hello": "world"}')),
    'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:',
  );
});

test('the signature base follows RFC 9421 §2.5 for our three components', () => {
  const base = signatureBase('post', '/hub/v1/batches', 'sha-256=:AAA=:', {
    created: 1,
    keyid: 'k',
    nonce: 'n',
  });
  assert.equal(
    base,
    '"@method": POST\n"@path": /hub/v1/batches\n"content-digest": sha-256=:AAA=:\n' +
      '"@signature-params": ("@method" "@path" "content-digest");created=1;keyid="k";alg="ed25519";nonce="n"',
  );
});

test('a signed request verifies, and so does nothing else', () => {
  const headers = signed();
  const parsed = parseSignedRequest('POST', '/hub/v1/heartbeat', headers, body, now);
  assert.equal(parsed.keyid, keyid);
  assert.equal(parsed.created, created);
  assert.ok(signatureValid(parsed, publicKey));
  assert.ok(!signatureValid(parsed, generateKeyPairSync('ed25519').publicKey), 'another key');
  // Another method or path: the base differs, the signature fails.
  assert.ok(!signatureValid(parseSignedRequest('PUT', '/hub/v1/heartbeat', headers, body, now), publicKey));
  assert.ok(!signatureValid(parseSignedRequest('POST', '/hub/v1/batches', headers, body, now), publicKey));
  // Another nonce or time in Signature-Input: covered by @signature-params.
  const input = headers['signature-input']!;
  for (const forged of [
    input.replace(/nonce="[^"]+"/, 'nonce="AAAAAAAAAAAAAAAAAAAAAAAA"'),
    input.replace(`created=${created}`, `created=${created - 1}`),
  ]) {
    assert.ok(
      !signatureValid(
        parseSignedRequest('POST', '/hub/v1/heartbeat', { ...headers, 'signature-input': forged }, body, now),
        publicKey,
      ),
    );
  }
});

test('a changed body, a stale or future signature, and malformed headers are refused by name', () => {
  const headers = signed();
  const refuse = (
    h: Record<string, unknown>,
    b: Buffer,
    at: number,
    pattern: RegExp,
    name = 'Unauthorized',
  ) =>
    assert.throws(
      () => parseSignedRequest('POST', '/hub/v1/heartbeat', h as Record<string, string>, b, at),
      (e: unknown) => e instanceof WardenError && e.name === name && pattern.test(e.message),
    );
  refuse(
    headers,
    Buffer.from('{"head":null,"backlog":9,"time":1}'),
    now,
    /does not match its Content-Digest/,
    'BadRequest',
  );
  refuse(headers, body, now + 301_000, /outside the hub's window/);
  refuse(headers, body, now - 61_000, /outside the hub's window/);
  refuse({ ...headers, signature: undefined }, body, now, /no signature header/);
  refuse(
    { ...headers, 'signature-input': [headers['signature-input'], headers['signature-input']] },
    body,
    now,
    /more than one/,
  );
  refuse({ ...headers, 'content-digest': 'sha-512=:AAAA:' }, body, now, /single sha-256/);
  refuse(
    {
      ...headers,
      'signature-input': headers['signature-input']!.replace('"content-digest"', '"content-type"'),
    },
    body,
    now,
    /scheme/,
  );
  refuse(
    { ...headers, 'signature-input': headers['signature-input']!.replace('ed25519', 'hmac-sha256') },
    body,
    now,
    /scheme/,
  );
  refuse({ ...headers, 'signature-input': `${headers['signature-input']}, sig2=()` }, body, now, /scheme/);
  refuse({ ...headers, signature: 'sig1=:AAAA:' }, body, now, /one Ed25519 signature/);
});
