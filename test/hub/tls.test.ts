// The hub over HTTPS: a certificate from openssl, the pin the enrollment string carries is
// the SHA-256 of the certificate's public key as a device sees it on the connection, and a
// TLS hub may be configured for a non-loopback address (plain HTTP may not).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { HubServer } from '../../supervisor/hub/http-server.ts';
import { tlsPinOf } from '../../supervisor/hub-protocol/enrollment.ts';
import { openCheckpoint } from '../../supervisor/hub-protocol/receipt.ts';
import { parseVerifierKey } from '../../supervisor/tlog/note.ts';
import { startTestHub } from '../support/hub/hub.ts';
import { tempDir } from '../support/temp-dir.ts';

test('the hub serves HTTPS and devices can pin its key', async (t) => {
  const dir = tempDir(t);
  const cert = path.join(dir, 'hub.crt');
  const key = path.join(dir, 'hub.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=warden-hub-test',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const pem = readFileSync(cert);
  const hub = await startTestHub(t, 'sqlite', { tls: { cert: pem, key: readFileSync(key) } });
  assert.match(hub.url, /^https:\/\/127\.0\.0\.1:\d+$/);

  const { status, body, pin } = await new Promise<{ status: number; body: string; pin: string }>(
    (resolve, reject) => {
      const req = https.get(`${hub.url}/hub/v1/checkpoint`, { ca: pem, timeout: 10_000 }, (res) => {
        const socket = res.socket as TLSSocket;
        const seen = tlsPinOf(socket.getPeerX509Certificate()!);
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, pin: seen }));
      });
      req.on('error', reject);
    },
  );
  assert.equal(status, 200);
  assert.equal(pin, tlsPinOf(pem));
  assert.match(pin, /^sha256\/[A-Za-z0-9+/]{43}=$/);
  const tree = openCheckpoint(body, parseVerifierKey(hub.service.verifierKey), hub.service.log.origin);
  assert.equal(tree.size, 0);

  // With TLS, a non-loopback address is allowed (constructed only: tests stay on 127.0.0.1).
  assert.doesNotThrow(
    () =>
      new HubServer({
        service: hub.service,
        host: '0.0.0.0',
        port: 0,
        tls: { cert: pem, key: readFileSync(key) },
      }),
  );
});
