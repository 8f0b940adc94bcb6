// Upstream TLS trust from the stores a user's machine already has: an upstream whose CA is
// only in the OS bundle (given by path, the way the OS keeps it) or in NODE_EXTRA_CA_CERTS
// is trusted; one in no store gets the clear 502; a missing store is a warning, not a crash.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { Daemon, DaemonStartError } from '../../supervisor/daemon/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, type TestDaemonOptions } from '../support/daemon.ts';
import { makeTempDir, type TempDir } from '../support/temp-dir.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let tmp: TempDir;
/** An OS-style bundle: an unrelated CA, then the upstream's, as ca-certificates.crt is laid out. */
let bundle: string;
const missing = '/nonexistent/warden-test/ca-certificates.crt';
// A path rule makes the proxy read the tunnel, so it is the proxy that verifies the upstream.
const allowApi = policyYaml(
  '- match: api.test\n  paths: ["/trusted"]\n  action: allow\n- match: 127.0.0.1\n  action: allow',
);

before(async () => {
  up = await startUpstreams();
  tmp = makeTempDir('warden-trust-');
  const other = await CertificateAuthority.loadOrCreate(path.join(tmp.dir, 'other'));
  bundle = path.join(tmp.dir, 'ca-certificates.crt');
  writeFileSync(bundle, `# an unrelated root\n${other.certPem}\n${up.caPem}`);
});
after(async () => {
  await up.close();
  tmp.dispose();
});

async function fetchThrough(d: TestDaemon) {
  const { env } = await d.listener(allowApi);
  return curl(env, [`https://api.test:${up.httpsPort}/trusted`]);
}

/** A daemon stopped when the test ends, failed or not. */
async function start(t: TestContext, daemon: TestDaemonOptions['daemon']): Promise<TestDaemon> {
  const d = await startTestDaemon({
    resolve: { 'api.test': '127.0.0.1' },
    daemon: { poolSize: 0, ...daemon },
  });
  t.after(() => d.stop());
  return d;
}

describe('upstream trust stores', () => {
  test('an upstream whose CA is only in the OS bundle is trusted, and status names the store', async (t) => {
    // The first candidate does not exist: the first one found is read, as OpenSSL does.
    const d = await start(t, { systemCaBundles: [missing, bundle], nodeExtraCaCerts: '' });
    const r = await fetchThrough(d);
    assert.equal(r.status, 200, r.body + r.stderr);
    assert.equal(JSON.parse(r.body).url, '/trusted');
    const status = await d.client.call('GET /v1/status');
    const system = status.upstreamTrust?.find((s) => s.source === 'system');
    assert.deepEqual(system, { source: 'system', path: bundle, certificates: 2 });
    assert.ok((status.upstreamTrust?.find((s) => s.source === 'node')?.certificates ?? 0) > 100);
  });

  test('an upstream whose CA is in no store is refused with the 502 that says how to trust it', async (t) => {
    const d = await start(t, { systemCaBundles: [missing], nodeExtraCaCerts: '' });
    const r = await fetchThrough(d);
    assert.equal(r.status, 502, r.body);
    assert.match(r.body, /upstream certificate of api\.test:\d+ .* is not trusted/);
    assert.match(r.body, /operating system's CA bundle .* WARDEN_UPSTREAM_CA/);
    // The missing OS bundle was a warning in the log, and status says so.
    assert.ok(
      d.logs.some((l) => l.includes('no operating-system CA bundle found') && l.includes(missing)),
      d.logs.join('\n'),
    );
    const status = await d.client.call('GET /v1/status');
    assert.match(status.upstreamTrust?.find((s) => s.source === 'system')?.problem ?? '', /none of/);
  });

  test('NODE_EXTRA_CA_CERTS is trusted; an unreadable one is a warning, not a crash', async (t) => {
    const d1 = await start(t, { systemCaBundles: [missing], nodeExtraCaCerts: up.caFile });
    assert.equal((await fetchThrough(d1)).status, 200);
    const d = await start(t, { systemCaBundles: [bundle], nodeExtraCaCerts: missing });
    assert.ok(d.logs.some((l) => l.includes('NODE_EXTRA_CA_CERTS') && l.includes('ENOENT')));
    assert.equal((await fetchThrough(d)).status, 200, 'the other stores still count');
  });

  test('an unreadable WARDEN_UPSTREAM_CA stops the start with a message naming it', async (t) => {
    const home = makeTempDir('warden-home-');
    t.after(home.dispose);
    await assert.rejects(
      Daemon.start({ home: home.dir, upstreamCaFile: missing, poolSize: 0 }),
      (error: unknown) =>
        error instanceof DaemonStartError &&
        error.message.includes(`WARDEN_UPSTREAM_CA ${missing}`) &&
        /ENOENT/.test(error.message),
    );
  });
});
