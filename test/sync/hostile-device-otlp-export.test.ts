// Hostile configuration and receivers of the device's own OTLP export: endpoints that are
// not http(s), or carry credentials (refused before the daemon opens anything, without
// echoing the password); a receiver that accepts the connection and never answers (the
// exporter gives up within its bounds and says so, while the proxy keeps working).

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { test } from 'node:test';
import { DaemonStartError } from '../../supervisor/daemon/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, until } from '../support/daemon.ts';
import { startUpstreams } from '../support/upstreams.ts';

test('bad --otlp-export endpoints are refused at start, never echoing a password', async () => {
  for (const endpoint of [
    'file:///etc/passwd',
    'not a url',
    'http://alice:s3cr3t-pw@127.0.0.1:4318',
    'ftp://x',
  ]) {
    await assert.rejects(startTestDaemon({ daemon: { otlpExport: { endpoint } } }), (e: Error) => {
      assert.ok(e instanceof DaemonStartError, `${endpoint}: ${e.message}`);
      assert.match(e.message, /--otlp-export must be an http\(s\) URL without credentials/);
      assert.equal(e.message.includes('s3cr3t'), false);
      return true;
    });
  }
});

test('a receiver that never answers: the export backs off and says so; the proxy is unaffected', async (t) => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  });
  const up = await startUpstreams();
  t.after(() => up.close());
  const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const d = await startTestDaemon({
    upstreamCa: [up.caPem],
    daemon: { otlpExport: { endpoint, intervalMs: 100, sink: { timeoutMs: 300, retryForMs: 700 } } },
  });
  t.after(() => d.stop());
  const { env } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
  const started = Date.now();
  assert.equal((await curl(env, [`http://127.0.0.1:${up.httpPort}/ok`])).status, 200);
  assert.ok(Date.now() - started < 5000, 'the proxy does not wait for the export');
  await until(
    'backing off',
    async () => (await d.client.call('GET /v1/export/status')).state === 'backing-off',
    15_000,
  );
  const s = await d.client.call('GET /v1/export/status');
  assert.match(s.lastError ?? '', /timed out \(gave up retrying\)/);
  assert.ok(s.backlog > 0);
  assert.equal(s.exportedSeq, 0);
});
