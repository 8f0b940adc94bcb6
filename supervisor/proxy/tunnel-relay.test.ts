import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { test } from 'node:test';
import { connectRelayed, RELAY_READ_BYTES } from './tunnel-relay.ts';

/** A loopback server that sends `payload` to whoever connects, then ends. */
async function source(payload: Buffer): Promise<net.Server> {
  const server = net.createServer((s) => s.end(payload));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A relay to a client that stalls first (the relay must stop reading), then drains. */
async function relayThroughSlowClient(payload: Buffer, stallMs: number) {
  const src = await source(payload);
  const port = (src.address() as net.AddressInfo).port;
  const front = net.createServer((client) => {
    const up = connectRelayed({ address: '127.0.0.1', family: 4 }, port);
    up.socket.once('connect', () => up.relayTo(client));
    up.socket.once('close', () => front.close());
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const received = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const c = net.connect((front.address() as net.AddressInfo).port, '127.0.0.1');
    c.pause();
    setTimeout(() => c.resume(), stallMs);
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => resolve(Buffer.concat(chunks)));
    c.on('error', reject);
  });
  src.close();
  return received;
}

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('every byte arrives in order when the client stalls and the read buffer is reused', async () => {
  // Random bytes: a read that overwrote a buffer still being written would show in the digest.
  // 32 MiB: more than the kernel buffers on loopback hold, so the relay has to wait.
  const payload = randomBytes(512 * RELAY_READ_BYTES + 123);
  const received = await relayThroughSlowClient(payload, 150);
  assert.equal(received.length, payload.length);
  assert.equal(digest(received), digest(payload));
});

test('a short answer and the end of stream reach the client', async () => {
  const payload = Buffer.from('SSH-2.0-banner\r\n');
  const received = await relayThroughSlowClient(payload, 0);
  assert.equal(received.toString(), payload.toString());
});

test('nothing is read before the relay has a client, and the socket counts what it read', async () => {
  const payload = randomBytes(3 * RELAY_READ_BYTES);
  const src = await source(payload);
  const up = connectRelayed({ address: '127.0.0.1', family: 4 }, (src.address() as net.AddressInfo).port);
  await new Promise((resolve) => up.socket.once('connect', resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(up.socket.bytesRead, 0, 'a relay without a client reads nothing');
  const pair = await new Promise<[net.Socket, net.Socket]>((resolve) => {
    const server = net.createServer((accepted) => {
      server.close();
      resolve([accepted, client]);
    });
    let client: net.Socket;
    server.listen(0, '127.0.0.1', () => {
      client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    });
  });
  const [accepted, client] = pair;
  const chunks: Buffer[] = [];
  client.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise((resolve) => client.once('end', resolve));
  up.relayTo(accepted);
  await ended;
  assert.equal(digest(Buffer.concat(chunks)), digest(payload));
  assert.equal(up.socket.bytesRead, payload.length);
  src.close();
});
