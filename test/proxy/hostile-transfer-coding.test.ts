// Node's parser lets a request through with `Transfer-Encoding: gzip, chunked`: it removes
// the chunking and hands on the still-compressed bytes. Re-framed as plain chunked, the
// upstream would read a message that means something else than the one sent, and the
// placeholder search would have looked at compressed bytes. Such a request is refused.
// All traffic goes to 127.0.0.1; every wait is bounded.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon();
});
after(async () => {
  await d?.stop();
  await up?.close();
});

function raw(port: number, data: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), 3000);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (Buffer.concat(chunks).includes('\r\n\r\n')) setTimeout(() => socket.destroy(), 200);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(data);
  });
}

test('a transfer coding other than chunked is refused with 400 naming it, and nothing goes upstream', async () => {
  const { listener } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
  const zipped = gzipSync('hello');
  for (const coding of ['gzip, chunked', 'deflate,chunked', 'x-custom, chunked']) {
    const from = up.received.length;
    const head = `POST http://127.0.0.1:${up.httpPort}/tc HTTP/1.1\r\nHost: 127.0.0.1:${up.httpPort}\r\nTransfer-Encoding: ${coding}\r\n\r\n`;
    const body = Buffer.concat([
      Buffer.from(`${zipped.length.toString(16)}\r\n`),
      zipped,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const text = await raw(
      listener.port,
      Buffer.concat([Buffer.from(withProxyAuth(head, listener.clientProxyUrl)), body]),
    );
    assert.match(text, /^HTTP\/1\.1 400 /, `${coding}: ${text}`);
    assert.match(text, /transfer coding/i, text);
    assert.deepEqual(up.received.slice(from), [], `${coding}: reached the upstream`);
  }
  const plain = `POST http://127.0.0.1:${up.httpPort}/tc HTTP/1.1\r\nHost: 127.0.0.1:${up.httpPort}\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`;
  assert.match(
    await raw(listener.port, Buffer.from(withProxyAuth(plain, listener.clientProxyUrl))),
    /^HTTP\/1\.1 200 /,
  );
});
