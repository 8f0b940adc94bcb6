// Plain HTTP inside a tunnel allowed at the host level must not slip past a rule for plain
// HTTP: an `https://` allow beside an `http://` deny, or a scheme-less allow with a path rule
// elsewhere. Such a tunnel is read and each request decided as http; TLS inside is spliced
// as before, and so are protocols whose server speaks first (SSH, SMTP).
// All traffic goes to 127.0.0.1; every wait is bounded.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { proxyAuthorization } from '../support/proxy-auth.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'svc.test': '127.0.0.1' } });
});
after(async () => {
  await d?.stop();
  await up?.close();
});

describe('an https allow beside an http deny', () => {
  const yaml = policyYaml(
    ['- match: https://127.0.0.1', '  action: allow', '- match: http://127.0.0.1', '  action: deny'].join(
      '\n',
    ),
  );
  let env: Record<string, string>;
  let proxyUrl: string;
  before(async () => {
    const created = await d.listener(yaml);
    env = created.env;
    proxyUrl = created.listener.clientProxyUrl;
  });

  test('plain HTTP through a CONNECT tunnel is decided as http and refused', async () => {
    const before = up.received.length;
    const r = await curl(env, ['--proxytunnel', `http://127.0.0.1:${up.httpPort}/inside`]);
    assert.equal(r.status, 403, `${r.stderr} ${r.body}`);
    assert.match(r.body, /http:\/\/127\.0\.0\.1/);
    assert.equal(up.received.length, before, 'nothing reached the upstream');
    const direct = await curl(env, [`http://127.0.0.1:${up.httpPort}/direct`]);
    assert.equal(direct.status, 403, 'the same as without a tunnel');
  });

  test('a request line cut into single bytes is still read, not spliced', async () => {
    const before = up.received.length;
    const socket = net.connect(Number(new URL(proxyUrl).port), '127.0.0.1');
    socket.on('error', () => {});
    const got: Buffer[] = [];
    socket.on('data', (c: Buffer) => got.push(c));
    socket.write(
      `CONNECT 127.0.0.1:${up.httpPort} HTTP/1.1\r\nHost: 127.0.0.1\r\nProxy-Authorization: ${proxyAuthorization(proxyUrl)}\r\n\r\n`,
    );
    await until('the tunnel', () => Buffer.concat(got).includes('200 Connection established'));
    for (const ch of `GET /bytewise HTTP/1.1\r\nHost: 127.0.0.1:${up.httpPort}\r\n\r\n`) {
      socket.write(ch);
      await new Promise((r) => setTimeout(r, 2));
    }
    await until('an answer inside', () => /HTTP\/1\.1 403/.test(Buffer.concat(got).toString('latin1')));
    socket.destroy();
    assert.equal(up.received.length, before);
  });

  test('TLS through the tunnel is spliced: the client meets the upstream certificate', async () => {
    const before = up.received.length;
    const socket = net.connect(Number(new URL(proxyUrl).port), '127.0.0.1');
    socket.on('error', () => {});
    const got: Buffer[] = [];
    const onData = (c: Buffer) => got.push(c);
    socket.on('data', onData);
    socket.write(
      `CONNECT 127.0.0.1:${up.httpsPort} HTTP/1.1\r\nHost: 127.0.0.1\r\nProxy-Authorization: ${proxyAuthorization(proxyUrl)}\r\n\r\n`,
    );
    await until('the tunnel', () => Buffer.concat(got).includes('200 Connection established'));
    socket.off('data', onData);
    // The SNI name only picks the test server's certificate; the proxy decided on the CONNECT.
    const secure = tls.connect({ socket, servername: 'svc.test', ca: up.caPem });
    secure.on('error', () => {});
    let text = '';
    secure.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    await new Promise<void>((r) => secure.once('secureConnect', () => r()));
    secure.write(`GET /tls-inside HTTP/1.1\r\nHost: svc.test\r\nConnection: close\r\n\r\n`);
    await until('the upstream answer', () => /HTTP\/1\.1 200/.test(text));
    secure.destroy();
    assert.equal(up.received.slice(before).find((x) => x.url === '/tls-inside')?.secure, true);
  });
});

test('a protocol whose server speaks first is spliced as before', async () => {
  const banner = net.createServer((s) => {
    s.on('error', () => {});
    s.write('220 smtp.test ready\r\n');
    s.on('data', (c: Buffer) => s.write(`250 got ${c.toString('latin1').trim()}\r\n`));
  });
  await new Promise<void>((r) => banner.listen(0, '127.0.0.1', r));
  const port = (banner.address() as net.AddressInfo).port;
  try {
    const created = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
    const proxyUrl = created.listener.clientProxyUrl;
    const socket = net.connect(Number(new URL(proxyUrl).port), '127.0.0.1');
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    socket.write(
      `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1\r\nProxy-Authorization: ${proxyAuthorization(proxyUrl)}\r\n\r\n`,
    );
    await until('the banner, before the client says anything', () => text.includes('220 smtp.test ready'));
    socket.write('EHLO agent\r\n');
    await until('the answer', () => text.includes('250 got EHLO agent'));
    socket.destroy();
  } finally {
    await new Promise((r) => banner.close(r));
  }
});
