// Hostile CONNECTs against one governed listener, over raw sockets: invalid CONNECT
// targets, TLS garbage after a CONNECT 200, ClientHellos then resets, junk and a mismatched
// Host inside a tunnel, and tunnels half-closed before their first byte. Between batches a
// good client must still be served. The listener and helpers: hostile-input-support.ts.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import tls from 'node:tls';
import {
  assertServed,
  assertStatuses,
  closed,
  d,
  exchange,
  hostile,
  inBatches,
  openTunnel,
  prng,
  sandboxId,
  setUpHostileListener,
  sleep,
  statusOf,
  up,
} from './hostile-input-support.ts';

setUpHostileListener();

describe('hostile input against one listener', () => {
  test('invalid CONNECT targets get 400', async () => {
    const targets = [
      'nohost',
      'a:99999',
      '[::1',
      '[::1]',
      ':443',
      'a:',
      'a:0',
      'a:65536',
      'a:-1',
      'a:443:1',
      '::1:443',
      '[::1:443',
      '[zz::1]:443',
      'exa%20mple.com:443',
      'a..b:443',
      '.:443',
      `${'a'.repeat(300)}:443`,
      'http://127.0.0.1:443',
      '/path',
      '*',
    ];
    const results = await inBatches(targets, 10, (t) => exchange(`CONNECT ${t} HTTP/1.1\r\nHost: x\r\n\r\n`));
    hostile.count += results.length;
    assertStatuses(results, 400, (i) => `CONNECT ${targets[i]}`);
    // And a CONNECT whose request line is itself broken.
    const broken = await exchange('CONNECT a b:443 HTTP/1.1\r\n\r\n', { end: true });
    hostile.count++;
    assert.equal(broken.status, 400);
    await assertServed('bad-connect');
  });

  test('TLS garbage after a CONNECT 200, ClientHellos then resets', async () => {
    const rand = prng(0x7151);
    // Garbage in intercepted tunnels (the proxy terminates TLS) and in spliced ones.
    const garbage = Array.from({ length: 40 }, (_, i) => {
      const length = 5 + Math.floor(rand() * 3000);
      const bytes = Buffer.alloc(length);
      for (let k = 0; k < length; k++) bytes[k] = Math.floor(rand() * 256);
      if (i % 2 === 0) {
        // A plausible, complete TLS handshake record with a nonsense body.
        bytes[0] = 0x16;
        bytes[1] = 0x03;
        bytes[2] = 0x01;
        bytes.writeUInt16BE(length - 5, 3);
      }
      return { bytes, authority: i % 4 === 3 ? `127.0.0.1:${up.httpsPort}` : `mitm.test:${up.httpsPort}` };
    });
    const closedByProxy = await inBatches(garbage, 10, async ({ bytes, authority }) => {
      const t = await openTunnel(authority);
      assert.equal(t.status, 200, t.head);
      t.socket.write(bytes);
      return closed(t.socket, 3000);
    });
    hostile.count += garbage.length;
    assert.ok(closedByProxy.every(Boolean), 'every garbage tunnel was closed by the proxy (or upstream)');

    // A real ClientHello, then a TCP reset at different points of the handshake.
    const delays = Array.from({ length: 30 }, (_, i) => i % 15);
    await inBatches(delays, 10, async (delay, i) => {
      const t = await openTunnel(i % 3 === 2 ? `127.0.0.1:${up.httpsPort}` : `mitm.test:${up.httpsPort}`);
      assert.equal(t.status, 200);
      const secure = tls.connect({ socket: t.socket, servername: 'mitm.test', rejectUnauthorized: false });
      secure.on('error', () => {});
      await sleep(delay);
      t.socket.resetAndDestroy();
      secure.destroy();
    });
    hostile.count += delays.length;

    // Plain junk inside an intercepted tunnel, and a request whose Host does not match the tunnel.
    const junk = await openTunnel(`mitm.test:${up.httpPort}`);
    junk.socket.write('JUNK\r\n\r\n');
    assert.ok(await closed(junk.socket), 'junk inside an intercepted tunnel is closed');
    hostile.count++;

    const mismatch = await openTunnel(`mitm.test:${up.httpsPort}`);
    const secure = tls.connect({
      socket: mismatch.socket,
      servername: 'mitm.test',
      ca: [d.daemon.ca.certPem],
    });
    const answer = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => reject(new Error('no answer inside the tunnel')), 3000);
      secure.on('error', reject);
      secure.on('secureConnect', () =>
        secure.write(`GET /smuggle HTTP/1.1\r\nHost: blocked.test\r\nConnection: close\r\n\r\n`),
      );
      secure.on('data', (c: Buffer) => chunks.push(c));
      secure.on('end', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    secure.destroy();
    hostile.count++;
    assert.equal(statusOf(answer), 421, answer.slice(0, 100));
    assert.match(answer, /does not match the tunnel's host/);
    assert.ok(!up.received.some((x) => x.url === '/smuggle'), 'the mismatched request was not forwarded');
    await assertServed('tls-garbage');
  });

  test('CONNECTs half-closed before their first byte (intercepted or denied) are closed, not leaked', async () => {
    const listener = d.daemon.sandboxes.listener(sandboxId)!;
    const baseline = listener.openConnections;
    const tunnels = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        openTunnel(i % 2 ? `mitm.test:${up.httpsPort}` : `blocked.test:${up.httpsPort}`),
      ),
    );
    hostile.count += tunnels.length;
    // Half-close (FIN) without sending a byte: the client is done.
    for (const t of tunnels) t.socket.end();
    const byProxy = await Promise.all(tunnels.map((t) => closed(t.socket, 2000)));
    await sleep(200);
    assert.ok(byProxy.every(Boolean), 'the proxy closed every abandoned tunnel');
    assert.ok(
      listener.openConnections <= baseline,
      `listener holds ${listener.openConnections - baseline} leaked sockets`,
    );
  });
});
