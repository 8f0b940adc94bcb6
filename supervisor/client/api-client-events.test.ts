import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import type { WardenEvent } from '../api/events.ts';
import { ApiClient } from './api-client.ts';

/** A loopback server that answers GET /v1/events with `chunks`, written apart, then ends. */
async function eventServer(t: TestContext, chunks: string[]): Promise<ApiClient> {
  const server = http.createServer(async (req, res) => {
    assert.equal(req.headers.authorization, 'Bearer tok');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const c of chunks) {
      res.write(c);
      await new Promise((r) => setTimeout(r, 5));
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return new ApiClient({ host: '127.0.0.1', port: (server.address() as AddressInfo).port }, 'tok');
}

const event = (pid: number): WardenEvent => ({
  type: 'daemon.started',
  time: '2026-01-01T00:00:00.000Z',
  user: 'alice',
  pid,
  version: '0.1.0',
});

async function follow(client: ApiClient): Promise<WardenEvent[]> {
  const seen: WardenEvent[] = [];
  await Promise.race([
    client.events((e) => seen.push(e)),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('the stream did not end within 5 s')), 5_000),
    ),
  ]);
  return seen;
}

test('events split across chunks, with CRLF line ends and comments, arrive whole', async (t) => {
  const text = `retry: 2000\r\n\r\n: ping\r\n\r\nevent: daemon.started\r\ndata: ${JSON.stringify(event(1))}\r\n\r\n`;
  const client = await eventServer(t, [
    text.slice(0, 30),
    text.slice(30, 31),
    text.slice(31, -1),
    text.slice(-1),
  ]);
  assert.deepEqual(await follow(client), [event(1)]);
});

test('an event whose data is not JSON is skipped; the stream goes on', async (t) => {
  const client = await eventServer(t, [
    'event: daemon.started\ndata: {not json\n\n',
    `event: daemon.started\ndata: ${JSON.stringify(event(2))}\n\n`,
  ]);
  assert.deepEqual(await follow(client), [event(2)]);
});
