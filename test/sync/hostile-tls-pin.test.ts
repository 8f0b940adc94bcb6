// The sync link over HTTPS to the real hub: a self-signed hub certificate is trusted only
// through the pin in the enrollment string; a hub presenting another key (a man in the
// middle) is refused before the device trusts anything it says.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ApiClientError } from '../../supervisor/client/api-client.ts';
import { formatEnrollment, tlsPinOf } from '../../supervisor/hub-protocol/enrollment.ts';
import { startTestHub } from '../support/hub/hub.ts';
import { append, status, syncDaemon, synced } from '../support/sync.ts';
import { tempDir } from '../support/temp-dir.ts';

function certificate(dir: string, name: string): { cert: Buffer; key: Buffer } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'].concat([
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

test('HTTPS: the pinned hub syncs; a hub with another key is refused before anything is sent', async (t) => {
  const dir = tempDir(t);
  const real = certificate(dir, 'hub');
  const other = certificate(dir, 'mitm');
  const hub = await startTestHub(t, 'sqlite', { tls: real });
  const d = await syncDaemon();
  t.after(() => d.stop());
  const string = async (pin: string) =>
    formatEnrollment({
      url: hub.url,
      hubKey: hub.service.verifierKey,
      tlsPin: pin,
      token: await hub.token(),
    });
  await assert.rejects(
    d.client.call('POST /v1/sync/enroll', { body: { enrollment: await string(tlsPinOf(other.cert)) } }),
    (e: unknown) => e instanceof ApiClientError && /does not match the pin/.test(e.message),
  );
  assert.equal((await status(d)).state, 'off');
  await d.client.call('POST /v1/sync/enroll', { body: { enrollment: await string(tlsPinOf(real.cert)) } });
  await append(d, 100);
  const s = await synced(d);
  assert.equal(s.state, 'ok');
  assert.match(s.hub ?? '', /^https:/);
});
