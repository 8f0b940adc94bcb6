// A tunnel the proxy reads cannot be held open by a client that stalls: before its first
// byte, in the middle of a TLS handshake, or in the middle of request headers.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';

let d: TestDaemon;
let port: number;
let proxyUrl: string;

before(async () => {
  d = await startTestDaemon({ tunnelIdleMs: 400, resolve: { 'mitm.test': '127.0.0.1' } });
  const created = await d.listener(policyYaml(`- match: mitm.test\n  paths: ["/x/**"]\n  action: allow`));
  port = created.listener.port;
  proxyUrl = created.listener.clientProxyUrl;
});
after(() => d.stop());

/** CONNECT (a path rule makes the proxy intercept), then send `payload` and stall. */
async function stalledTunnel(payload: Buffer): Promise<number> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(withProxyAuth('CONNECT mitm.test:443 HTTP/1.1\r\nHost: mitm.test:443\r\n\r\n', proxyUrl));
  await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  if (payload.length > 0) socket.write(payload);
  const started = Date.now();
  await new Promise((r) => socket.once('close', r));
  return Date.now() - started;
}

test('a silent tunnel is closed after the idle deadline', async () => {
  const ms = await stalledTunnel(Buffer.alloc(0));
  assert.ok(ms >= 300 && ms < 3000, `closed after ${ms} ms`);
});

test('a TLS record that never completes does not hold the tunnel', async () => {
  const ms = await stalledTunnel(Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00, 0xaa, 0xbb, 0xcc]));
  assert.ok(ms < 3000, `closed after ${ms} ms`);
});

test('plain request headers that never end do not hold the tunnel', async () => {
  const ms = await stalledTunnel(Buffer.from('GET /x/1 HTTP/1.1\r\nHost: mitm.test\r\n'));
  assert.ok(ms < 3000, `closed after ${ms} ms`);
});
