// The sink writes later batches into the buffers of bodies already accepted: what a receiver
// gets must still be exactly the batch's own request, whatever the buffer held before.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TestDevice } from '../../../test/support/hub/device.ts';
import type { HubRecord } from '../../api/hub.ts';
import { logsRequestBytes } from './otlp-encode.ts';
import { OtlpSink } from './otlp-sink.ts';

let dir: string;
let device: TestDevice;
let rows: HubRecord[];
let server: http.Server;
let url: string;
const received: Buffer[] = [];
/** Statuses to answer with, in turn (then 200). */
const answers: number[] = [];

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-otlp-sink-'));
  device = new TestDevice(dir);
  device.append(300);
  rows = device.rows(0, 300);
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push(Buffer.concat(chunks));
      res.writeHead(answers.shift() ?? 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  device.close();
  rmSync(dir, { recursive: true, force: true });
});

const who = () => ({ id: device.id, machine: 'devbox', version: '0.1.0' });

/** The request a fresh buffer gets for these records (observed time aside, which differs). */
async function expected(records: readonly HubRecord[], sent: Buffer): Promise<string> {
  const observed = /"observedTimeUnixNano":"(\d+)000000"/.exec(sent.toString())![1]!;
  return (await logsRequestBytes(who(), records, '0.1.0', Number(observed))).toString();
}

test('an accepted body’s buffer takes the next batch, which is sent exactly as written fresh', async () => {
  const sink = new OtlpSink({ endpoint: url, scopeVersion: '0.1.0', baseMs: 1, capMs: 5 });
  received.length = 0;
  // Big, then smaller (the buffer's older tail must not be sent), then bigger than the buffer.
  const batches = [rows.slice(0, 100), rows.slice(100, 103), rows.slice(103, 300)];
  const buffers: ArrayBufferLike[] = [];
  for (const records of batches) {
    const body = await sink.prepare({ device: who(), records });
    buffers.push(body.buffer);
    await sink.deliver(body);
  }
  assert.equal(buffers[1], buffers[0], 'the second batch was written into the first one’s buffer');
  for (const [i, records] of batches.entries())
    assert.equal(received[i]!.toString(), await expected(records, received[i]!), `batch ${i}`);
});

test('a body in flight, being retried or refused keeps its buffer to itself', async () => {
  const sink = new OtlpSink({ endpoint: url, scopeVersion: '0.1.0', baseMs: 1, capMs: 5 });
  received.length = 0;
  const a = await sink.prepare({ device: who(), records: rows.slice(0, 50) });
  const b = await sink.prepare({ device: who(), records: rows.slice(50, 60) });
  assert.notEqual(a.buffer, b.buffer, 'two bodies prepared before any was sent');
  answers.push(503, 503);
  await sink.deliver(a); // answered 503, 503, then 200: the same bytes each time
  assert.equal(received.length, 3);
  assert.ok(received[1]!.equals(received[0]!) && received[2]!.equals(received[0]!));
  answers.push(400);
  await assert.rejects(sink.deliver(b), /HTTP 400/);
  const c = await sink.prepare({ device: who(), records: rows.slice(60, 70) });
  assert.equal(c.buffer, a.buffer, 'the accepted one is reused');
  const d = await sink.prepare({ device: who(), records: rows.slice(70, 80) });
  assert.notEqual(d.buffer, b.buffer, 'the refused one is not');
  assert.ok(b.equals(received[3]!), 'the refused body still holds its own batch');
  await sink.deliver(c);
  await sink.deliver(d);
  assert.equal(received[4]!.toString(), await expected(rows.slice(60, 70), received[4]!));
  assert.equal(received[5]!.toString(), await expected(rows.slice(70, 80), received[5]!));
});
