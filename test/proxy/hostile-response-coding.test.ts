// A bound host's answer is searched for the injected value; a transfer coding other than
// chunked (`Transfer-Encoding: gzip, chunked`) reaches the proxy still compressed, where the
// search cannot see the value. Such an answer is refused, not relayed. All on 127.0.0.1.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';

const VALUE = 'ghp_REAL-te-gzip-echo-77c0';
let dir: string;
let server: tls.Server;
let port: number;
let d: TestDaemon;
const sockets = new Set<net.Socket>();

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'warden-te-'));
  const ca = await CertificateAuthority.loadOrCreate(dir);
  server = tls.createServer(
    {
      SNICallback: (name, cb) => {
        ca.secureContextFor(name || '127.0.0.1').then(
          (ctx) => cb(null, ctx),
          (err: Error) => cb(err),
        );
      },
    },
    (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      let head = '';
      socket.on('data', (c: Buffer) => {
        head += c.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const auth = /^authorization:\s*(.*)$/im.exec(head)?.[1] ?? '';
        const zipped = gzipSync(auth);
        socket.write(
          `HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n${zipped.length.toString(16)}\r\n`,
        );
        socket.end(Buffer.concat([zipped, Buffer.from('\r\n0\r\n\r\n')]));
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
  d = await startTestDaemon({ upstreamCa: [ca.certPem], resolve: { 'api.test': '127.0.0.1' } });
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'GH_TOKEN' },
    body: { value: VALUE, hosts: ['api.test'], inject: 'bearer' },
  });
});
after(async () => {
  await d?.stop();
  for (const s of sockets) s.destroy();
  await new Promise((r) => server?.close(r));
  await rm(dir, { recursive: true, force: true });
});

test('an answer in a transfer coding other than chunked is not relayed from a bound host', async () => {
  const { env } = await d.listener(
    policyYaml('- match: api.test\n  action: allow\n- match: 127.0.0.1\n  action: allow'),
    {
      secrets: ['GH_TOKEN'],
    },
  );
  const out = path.join(dir, 'body');
  const r = await curl(env, [
    '-H',
    `Authorization: Bearer ${env.GH_TOKEN}`,
    '-o',
    out,
    `https://api.test:${port}/`,
  ]);
  const body = await readFile(out).catch(() => Buffer.alloc(0));
  let inflated = '';
  try {
    inflated = gunzipSync(body).toString();
  } catch {}
  assert.ok(!inflated.includes(VALUE) && !body.includes(VALUE), 'the value came back compressed');
  assert.equal(r.status, 502, `${r.status} ${r.stderr}`);
  assert.match(body.toString(), /transfer coding/);
});
