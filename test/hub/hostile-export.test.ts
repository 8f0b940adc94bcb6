// Hostile OTLP receivers and configuration: garbage and huge answers, a slowloris that
// drips its answer, a receiver that never answers, a redirect, a 200 with a forged partial
// success; endpoints that are not http(s) or carry credentials. The exporter stays bounded,
// never moves the cursor past what was confirmed, and names the problem.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { test } from 'node:test';
import { WardenError } from '../../supervisor/api/errors.ts';
import { VERSION } from '../../supervisor/api/version.ts';
import { addExportTarget, exportStatuses, runnerFor } from '../../supervisor/hub/exports/index.ts';
import { TestDevice } from '../support/hub/device.ts';
import { startTestHub } from '../support/hub/hub.ts';
import { tempDir } from '../support/temp-dir.ts';

type Ctx = import('node:test').TestContext;

async function setup(t: Ctx, handler: http.RequestListener | ((s: net.Socket) => void), raw = false) {
  const hub = await startTestHub(t, 'sqlite');
  const device = new TestDevice(tempDir(t));
  t.after(() => device.close());
  device.append(30);
  const client = await hub.enroll(device);
  assert.equal((await client.batch(device.rows())).status, 200);
  const server = raw
    ? net.createServer(handler as (s: net.Socket) => void)
    : http.createServer(handler as http.RequestListener);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const target = await addExportTarget(hub.service.store, 'otlp', url, 'x', hub.service.now());
  return { hub, device, url, target };
}

const drain = (req: http.IncomingMessage) => new Promise((r) => req.resume().on('end', r));

test('a 200 with garbage is success with a note; the cursor moves', async (t) => {
  const { hub, device, target } = await setup(t, async (req, res) => {
    await drain(req);
    res.writeHead(200).end('\u0000\u00ff<html>not json');
  });
  const r = await runnerFor(hub.service.store, target, VERSION).round();
  assert.deepEqual(r, { sent: 30, rejected: 0, error: null });
  const [s] = await exportStatuses(hub.service.store);
  assert.equal(s!.cursor[device.id], 30);
  assert.match(s!.lastError ?? '', /not JSON/);
});

test('a huge answer is read only up to the cap', async (t) => {
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  let written = 0;
  const { hub, target } = await setup(t, async (req, res) => {
    await drain(req);
    res.writeHead(503);
    const pump = () => {
      while (written < 512 * chunk.length) {
        written += chunk.length;
        if (!res.write(chunk)) return res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => {});
    pump();
  });
  const started = Date.now();
  const r = await runnerFor(hub.service.store, target, VERSION, { retryForMs: 1000 }).round();
  assert.match(r.error ?? '', /503/);
  assert.ok(Date.now() - started < 10_000);
  assert.ok(written < 512 * chunk.length, `stopped reading: the receiver wrote ${written >> 20} MiB`);
});

test('a slowloris answer and a silent receiver time out; the cursor stays', async (t) => {
  const { hub, device, target } = await setup(
    t,
    (s: net.Socket) => {
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
        const drip = setInterval(() => (s.destroyed ? clearInterval(drip) : s.write('{')), 200);
        s.on('close', () => clearInterval(drip));
      });
    },
    true,
  );
  const started = Date.now();
  const r = await runnerFor(hub.service.store, target, VERSION, {
    timeoutMs: 1500,
    retryForMs: 4000,
  }).round();
  const took = Date.now() - started;
  assert.match(r.error ?? '', /timed out|gave up/);
  assert.ok(took < 8000, `bounded: ${took} ms`);
  const [s] = await exportStatuses(hub.service.store);
  assert.equal(s!.cursor[device.id], undefined);
  assert.equal(s!.lag, 30);
});

test('a redirect is not followed, nor retried', async (t) => {
  let requests = 0;
  const { hub, target } = await setup(t, async (req, res) => {
    requests++;
    await drain(req);
    res.writeHead(307, { location: 'http://127.0.0.1:1/v1/logs' }).end();
  });
  const r = await runnerFor(hub.service.store, target, VERSION, { retryForMs: 5000 }).round();
  assert.match(r.error ?? '', /HTTP 307 \(not retryable\)/);
  assert.equal(r.sent, 0);
  assert.equal(requests, 1);
});

test('a forged partial success (negative or huge counts) cannot drop records silently', async (t) => {
  const { hub, target } = await setup(t, async (req, res) => {
    await drain(req);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"partialSuccess":{"rejectedLogRecords":"-5","errorMessage":"\\u001b[31mred"}}');
  });
  const r = await runnerFor(hub.service.store, target, VERSION).round();
  assert.deepEqual(r, { sent: 30, rejected: 0, error: null });
  const [s] = await exportStatuses(hub.service.store);
  assert.equal(s!.exported, 30);
  assert.match(s!.lastError ?? '', /bad partialSuccess/);
});

test('a partial success claiming more rejections than records counts the batch only', async (t) => {
  const { hub, target } = await setup(t, async (req, res) => {
    await drain(req);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"partialSuccess":{"rejectedLogRecords":"99999999999","errorMessage":"no"}}');
  });
  const r = await runnerFor(hub.service.store, target, VERSION).round();
  assert.deepEqual(r, { sent: 0, rejected: 30, error: null });
  const [s] = await exportStatuses(hub.service.store);
  assert.equal(s!.exported, 0);
  assert.equal(s!.lag, 0);
});

test('endpoints that are not http(s), carry credentials or a bad name are refused', async (t) => {
  const hub = await startTestHub(t, 'sqlite');
  const store = hub.service.store;
  for (const [url, name, why] of [
    ['file:///etc/passwd', undefined, /http\(s\) URL/],
    ['not a url', undefined, /http\(s\) URL/],
    ['http://user:secret@127.0.0.1:4318', undefined, /credentials/],
    ['http://127.0.0.1:4318', '../../x', /invalid export name/],
  ] as const) {
    await assert.rejects(addExportTarget(store, 'otlp', url, name, 0), (e: unknown) => {
      assert.ok(e instanceof WardenError);
      assert.match(e.message, why);
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
  }
  await assert.rejects(addExportTarget(store, 'syslog', 'http://127.0.0.1:1', undefined, 0), /not available/);
  await addExportTarget(store, 'otlp', 'http://127.0.0.1:4318', 'a', 0);
  await assert.rejects(addExportTarget(store, 'otlp', 'http://127.0.0.1:4318', 'a', 0), /exists/);
});

test('a stored record that cannot be mapped stops the round before it; the cursor stays', async (t) => {
  const { hub, device, target } = await setup(t, async (req, res) => {
    await drain(req);
    res.writeHead(200).end('{}');
  });
  const last = device.rows(29, 1)[0]!;
  const odd = {
    ...last,
    seq: 31,
    prev_hash: last.hash,
    body: '{"type":"no.such.event"}',
    hash: 'a'.repeat(64),
  };
  await hub.service.store.transaction(device.id, (tx) => tx.insertRecords([odd], Date.now()));
  const r = await runnerFor(hub.service.store, target, VERSION, { batchSize: 10 }).round();
  assert.equal(r.sent, 30);
  assert.ok(r.error, 'the mapping failure is the error of the round');
  const [s] = await exportStatuses(hub.service.store);
  assert.equal(s!.cursor[device.id], 30);
  assert.equal(s!.lastError, r.error);
});
