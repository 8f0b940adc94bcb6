// An upstream that answers before it has read the request body may never read it: the
// bytes it skipped it would then take for requests of their own, which nobody decided (and
// the answers to them would go to the next request on a reused connection). Once the
// answer has ended, the proxy sends no more of the body and does not reuse the connection.
// All traffic goes to 127.0.0.1; every wait is bounded.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';

/** Answers every request head at once and never skips a body: what follows is a request. */
async function hastyUpstream(): Promise<{ port: number; lines: string[]; close(): Promise<void> }> {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    socket.on('data', (c: Buffer) => {
      // Empty lines before a request line are skipped (RFC 9112 §2.2).
      buffer = (buffer + c.toString('latin1')).replace(/^(\r\n)+/, '');
      for (let end = buffer.indexOf('\r\n\r\n'); end >= 0; end = buffer.indexOf('\r\n\r\n')) {
        lines.push(buffer.slice(0, end).split('\r\n')[0] ?? '');
        buffer = buffer.slice(end + 4).replace(/^(\r\n)+/, '');
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    lines,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

let up: Awaited<ReturnType<typeof hastyUpstream>>;
let d: TestDaemon;

before(async () => {
  up = await hastyUpstream();
  d = await startTestDaemon();
});
after(async () => {
  await d?.stop();
  await up?.close();
});

const RULES = ['- match: 127.0.0.1', '  paths: ["/ok/**"]', '  action: allow'].join('\n');

test('the rest of a body is not sent after the answer ended, so it never becomes a request', async () => {
  const { listener } = await d.listener(policyYaml(RULES));
  const smuggled = 'DELETE /admin/all HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  const head = `POST http://127.0.0.1:${up.port}/ok/upload HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\nContent-Length: ${2 + smuggled.length}\r\n\r\n`;
  const socket = net.connect(listener.port, '127.0.0.1');
  socket.on('error', () => {});
  let got = '';
  socket.on('data', (c: Buffer) => {
    got += c.toString('latin1');
  });
  try {
    // The first bytes of the body (an empty line) make the proxy send the head upstream.
    socket.write(withProxyAuth(`${head}\r\n`, listener.clientProxyUrl));
    const deadline = Date.now() + 3000;
    while (!/\r\n\r\nok/.test(got) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(got, /^HTTP\/1\.1 200/, 'the early answer is relayed');
    socket.write(smuggled);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    socket.destroy();
  }
  assert.deepEqual(up.lines, [`POST /ok/upload HTTP/1.1`], 'only the decided request reached the upstream');
});
