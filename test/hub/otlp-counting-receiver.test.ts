// The export bench's counting OTLP receiver (test/support/otlp/counting-receiver.ts): bodies
// read into reused buffers (a smaller request after a bigger one sees only its own bytes),
// chunked bodies without a content-length, gzip, and refusals, counted by device + seq.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { CountingReceiver } from '../support/otlp/counting-receiver.ts';

let rx: CountingReceiver;
let url: string;

before(async () => {
  rx = new CountingReceiver(true);
  url = `${await rx.listen()}/v1/logs`;
});
after(() => rx.close());

const kv = (key: string, value: Record<string, unknown>) => ({ key, value });

function request(device: string, seqs: number[], body: unknown = { stringValue: 'x'.repeat(50) }) {
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            kv('service.name', { stringValue: 'warden' }),
            kv('service.version', { stringValue: '0.1.0' }),
            kv('host.name', { stringValue: 'devbox' }),
            kv('host.id', { stringValue: device }),
          ],
        },
        scopeLogs: [
          {
            logRecords: seqs.map((seq) => ({
              timeUnixNano: '1',
              observedTimeUnixNano: '1',
              severityNumber: 9,
              body,
              attributes: [
                kv('warden.device.id', { stringValue: device }),
                kv('warden.seq', { intValue: `${seq}` }),
              ],
            })),
          },
        ],
      },
    ],
  };
}

/** POST `body`; `chunked` sends it in pieces without a content-length. */
function post(body: Buffer, o: { chunked?: boolean; gzip?: boolean } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (o.gzip) headers['content-encoding'] = 'gzip';
    if (!o.chunked) headers['content-length'] = String(body.length);
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    if (o.chunked) for (let i = 0; i < body.length; i += 1000) req.write(body.subarray(i, i + 1000));
    req.end(o.chunked ? undefined : body);
  });
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

test('requests of any size, chunked or gzipped, are counted by device and seq', async () => {
  const seqs = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  assert.equal(await post(json(request('d1', seqs(1, 500)))), 200);
  // Smaller than the one before: the reused buffer's older bytes must not be read.
  assert.equal(await post(json(request('d1', seqs(501, 3)))), 200);
  assert.equal(await post(json(request('d1', seqs(504, 300))), { chunked: true }), 200);
  assert.equal(await post(zlib.gzipSync(json(request('d2', seqs(1, 10)))), { gzip: true }), 200);
  // Two at once (two buffers in use), one a duplicate.
  const both = await Promise.all([post(json(request('d2', seqs(11, 200)))), post(json(request('d2', [5])))]);
  assert.deepEqual(both, [200, 200]);
  const report = rx.report();
  assert.deepEqual(report.devices, {
    d1: { size: 803, min: 1, max: 803 },
    d2: { size: 210, min: 1, max: 210 },
  });
  assert.equal(report.records, 1014);
  assert.equal(report.duplicates, 1);
  assert.equal(report.rejectedRequests, 0);
});

test('what breaks the OTLP JSON rules is refused with 400, and counts nothing', async () => {
  const before = rx.report().records;
  const refused = [
    json(request('d3', [1], { intValue: 7 })),
    json(request('d3', [1], { kvlistValue: { values: [kv('a', {}), kv('a', {})] } })),
    json(request('d3', [1], { kvlistValue: { values: [null] } })),
    Buffer.from('{"resourceLogs":[{"resource":'),
  ];
  for (const body of refused) assert.equal(await post(body), 400, body.toString().slice(0, 80));
  assert.match(rx.report().lastError ?? '', /JSON/);
  assert.equal(rx.report().records, before);
});
