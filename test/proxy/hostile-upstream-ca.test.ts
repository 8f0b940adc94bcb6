// A policy's upstream entry (spec.network.upstreams) replaces the daemon's trust for its
// host:port: a server the daemon's own stores trust is refused when it is not signed by the
// CA the entry names, and a client certificate the sandbox was not granted is never
// presented: the request fails with a reason, nothing reaches the server, and a spliced
// tunnel cannot skip the check (tunnels to a named upstream are always read).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { curl } from '../support/curl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;
let otherCa: string;
const dir = makeTempDir('warden-other-ca-');

before(async () => {
  up = await startUpstreams();
  // The daemon trusts the upstream's CA: without the entry, the server would be accepted.
  d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'svc.test': '127.0.0.1' } });
  otherCa = (await CertificateAuthority.loadOrCreate(dir.dir)).certPem;
});
after(async () => {
  await d?.stop();
  await up?.close();
  dir.dispose();
});

function policy(upstream: Record<string, string>, tls?: 'passthrough'): string {
  return JSON.stringify({
    apiVersion: 'warden.dev/v1',
    kind: 'Policy',
    metadata: { name: 'upstream-ca' },
    spec: {
      network: {
        default: 'deny',
        rules: [
          { match: 'svc.test', action: 'allow', ...(tls ? { tls } : {}) },
          { match: '127.0.0.1', action: 'allow' },
        ],
        upstreams: [{ match: `svc.test:${up.httpsPort}`, ...upstream }],
      },
    },
  });
}

test('the named CA alone is trusted: the right one passes, another is refused before any request', async () => {
  const right = await d.listener(policy({ ca: up.caPem }));
  const ok = await curl(right.env, [`https://svc.test:${up.httpsPort}/named-ca-ok`]);
  assert.equal(ok.status, 200);

  const before = up.received.length;
  for (const tls of [undefined, 'passthrough' as const]) {
    const wrong = await d.listener(policy({ ca: otherCa }, tls));
    const r = await curl(wrong.env, [`https://svc.test:${up.httpsPort}/named-ca-wrong`]);
    assert.equal(r.status, 502, `tls: ${tls ?? 'default'}`);
    assert.match(r.body, /not signed by the CA the policy names for it/);
  }
  assert.equal(up.received.length, before, 'the server the entry does not vouch for got no request');
});

test('a client certificate the sandbox was not granted is refused, not skipped', async () => {
  const l = await d.listener(policy({ ca: up.caPem, clientCertificate: 'never-granted' }));
  const r = await curl(l.env, [`https://svc.test:${up.httpsPort}/no-cert`]);
  assert.equal(r.status, 502);
  assert.match(
    r.body,
    /presents a client certificate that cannot be used: .*not a secret this sandbox was granted/,
  );
  assert.ok(!up.received.some((q) => q.url === '/no-cert'));
});

test('a tls-client secret whose certificate does not load is refused with the reason; the proxy keeps serving', async () => {
  const fake =
    '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n';
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'broken-cert' },
    body: { value: Buffer.from(fake).toString('base64'), hosts: ['svc.test'], inject: 'tls-client' },
  });
  const l = await d.listener(policy({ ca: up.caPem, clientCertificate: 'broken-cert' }), {
    secrets: ['broken-cert'],
  });
  const r = await curl(l.env, [`https://svc.test:${up.httpsPort}/broken-cert`]);
  assert.equal(r.status, 502);
  assert.match(r.body, /cannot be loaded/);
  assert.ok(!r.body.includes('MIIBkey'), 'the key is not quoted');
  assert.ok(!up.received.some((q) => q.url === '/broken-cert'));
  const again = await curl(l.env, [`https://svc.test:${up.httpsPort}/broken-cert`]);
  assert.equal(again.status, 502, 'the listener still answers');
});
