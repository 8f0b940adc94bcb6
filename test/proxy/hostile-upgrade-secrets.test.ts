// A sandbox that holds secret placeholders gets WebSocket frames read both ways; an upgrade
// to another protocol (h2c, allowed by a rule's `upgrades:`) would be spliced unread. Its
// handshake carries the injected value, and the upstream's answer on the new protocol could
// hand it back, past redaction; placeholders could leave in it unchecked. So such a sandbox
// is refused non-WebSocket upgrades, with a reason that says why. All on 127.0.0.1.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';

const VALUE = 'ghp_REAL-h2c-echoed-4411ab';

/** Over TLS, switches to h2c when offered, then "speaks" the offer's Authorization back. */
async function h2cEcho(): Promise<{ port: number; caPem: string; heads: string[]; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-h2c-'));
  const ca = await CertificateAuthority.loadOrCreate(dir);
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const sni = (name: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => {
    ca.secureContextFor(name || '127.0.0.1').then(
      (ctx) => cb(null, ctx),
      (err: Error) => cb(err),
    );
  };
  const server = tls.createServer({ SNICallback: sni }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    socket.on('data', (c: Buffer) => {
      buffer += c.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.slice(0, end);
      buffer = '';
      heads.push(head);
      const auth = /^authorization:\s*(.*)$/im.exec(head)?.[1] ?? '';
      socket.end(
        `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nSTREAM1:${auth}`,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    caPem: ca.certPem,
    heads,
    close: async () => {
      await new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let h2: Awaited<ReturnType<typeof h2cEcho>>;
let d: TestDaemon;

before(async () => {
  h2 = await h2cEcho();
  d = await startTestDaemon({ upstreamCa: [h2.caPem], resolve: { 'h2.test': '127.0.0.1' } });
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'GH_TOKEN' },
    body: { value: VALUE, hosts: ['h2.test'], inject: 'bearer' },
  });
});
after(async () => {
  await d?.stop();
  await h2?.close();
});

/** CONNECT h2.test, TLS with the proxy's CA, then `data`; what came back inside (3 s at most). */
function inTunnel(listener: { port: number; clientProxyUrl: string }, data: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(listener.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 3000);
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    socket.on('error', () => {});
    socket.once('close', done);
    const connect = `CONNECT h2.test:${h2.port} HTTP/1.1\r\nHost: h2.test:${h2.port}\r\n\r\n`;
    socket.write(withProxyAuth(connect, listener.clientProxyUrl));
    let answer = '';
    const onHead = (c: Buffer) => {
      answer += c.toString('latin1');
      if (!answer.includes('\r\n\r\n')) return;
      socket.off('data', onHead);
      if (!/^HTTP\/1\.1 200/.test(answer)) return void chunks.push(Buffer.from(answer, 'latin1'));
      const inner = tls.connect({ socket, servername: 'h2.test', ca: d.daemon.ca.certPem });
      inner.on('error', () => socket.destroy());
      inner.on('data', (b: Buffer) => chunks.push(b));
      inner.once('secureConnect', () => inner.write(data));
    };
    socket.on('data', onHead);
  });
}

test('an h2c upgrade allowed by rule is refused to a sandbox holding placeholders; the value never comes back', async () => {
  const { listener, env } = await d.listener(
    policyYaml('- match: h2.test\n  upgrades: [h2c]\n  action: allow\n- match: 127.0.0.1\n  action: allow'),
    { secrets: ['GH_TOKEN'] },
  );
  const offer =
    `GET / HTTP/1.1\r\nHost: h2.test:${h2.port}\r\n` +
    `Authorization: Bearer ${env.GH_TOKEN}\r\n` +
    'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n';
  const from = h2.heads.length;
  const text = await inTunnel(listener, offer);
  assert.ok(!text.includes(VALUE), 'the injected value came back through the h2c splice');
  assert.match(text, /^HTTP\/1\.1 403 /, text);
  assert.match(text, /h2c/);
  assert.match(text, /secret/);
  assert.deepEqual(h2.heads.slice(from), [], 'the handshake, with the value in it, reached the upstream');
});
