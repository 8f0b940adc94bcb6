// Misbehaving connections against one governed listener: slow senders, half-closed sockets
// and a burst of connections opened and dropped at once. Between batches a good client must
// still be served. The listener and helpers: hostile-input-support.ts.

import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { curl } from '../support/curl.ts';
import { until } from '../support/daemon.ts';
import {
  assertServed,
  d,
  exchange,
  hostile,
  inBatches,
  proxyEnv,
  proxyPort,
  sandboxId,
  setUpHostileListener,
  sleep,
  up,
} from './hostile-input-support.ts';

setUpHostileListener();

describe('hostile input against one listener', () => {
  test('slow senders do not hold up other clients', async () => {
    // Slowloris: 10 connections, each sending one header byte per 100 ms for ~3 s. The
    // server's headersTimeout is 30 s, so they are still open when we stop them.
    const slow = Array.from({ length: 10 }, () => net.connect(proxyPort, '127.0.0.1'));
    const request = `GET http://127.0.0.1:${up.httpPort}/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'s'.repeat(100)}`;
    let sent = 0;
    const got: Buffer[] = [];
    for (const s of slow) {
      s.on('error', () => {});
      s.on('data', (c: Buffer) => got.push(c));
    }
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write(request.charAt(sent % request.length));
      sent++;
    }, 100);
    hostile.count += slow.length;
    try {
      const deadline = Date.now() + 3000;
      let served = 0;
      while (Date.now() < deadline && served < 200) {
        const t = performance.now();
        const r = await curl(proxyEnv, ['--max-time', '3', `http://127.0.0.1:${up.httpPort}/meanwhile`]);
        assert.equal(r.status, 200, r.stderr);
        assert.ok(performance.now() - t < 2000, 'served promptly while slow senders drip');
        served++;
      }
      assert.ok(served >= 5, `served ${served} good requests meanwhile`);
      assert.ok(sent >= 20, 'the slow senders kept dripping');
      assert.equal(got.length, 0, 'a slow sender gets nothing back before its headers end');
      assert.ok(
        slow.every((s) => !s.destroyed),
        'slow senders are still open (headersTimeout is 30 s)',
      );
    } finally {
      clearInterval(drip);
      for (const s of slow) s.destroy();
    }
    await assertServed('slowloris');
  });

  test('half-closed sockets are answered or closed, never left hanging', async () => {
    const u = `http://127.0.0.1:${up.httpPort}`;
    const cases: Array<string | Buffer> = [
      `GET ${u}/half HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET ${u}/half-partial HTTP/1.1\r\nHost: x\r\n`,
      `POST ${u}/half-body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly some`,
      `CONNECT 127.0.0.1:${up.httpPort} HTTP/1.1\r\nHost: x\r\n\r\nGET /half-tunnel HTTP/1.1\r\nHost: x\r\n\r\n`,
      '',
    ];
    const all = cases.flatMap((c) => Array.from({ length: 5 }, () => c));
    const results = await inBatches(all, 10, (data) => exchange(data, { end: true, ms: 3000 }));
    hostile.count += results.length;
    results.forEach((r, i) => {
      assert.ok(!r.timedOut, `${JSON.stringify(all[i]).slice(0, 60)} was left hanging`);
      assert.ok(r.status === null || r.status === 200 || r.status === 400, r.text.slice(0, 80));
    });
    await assertServed('half-closed');
  });

  test('100 connections opened and dropped at once leave nothing behind', async () => {
    const listener = d.daemon.sandboxes.listener(sandboxId)!;
    await sleep(200);
    const baseline = listener.openConnections;
    const u = `http://127.0.0.1:${up.httpPort}`;
    const sockets = await Promise.all(
      Array.from(
        { length: 100 },
        (_, i) =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(proxyPort, '127.0.0.1', () => {
              if (i % 4 === 1) s.write(`GET ${u}/dropped HTTP/1.1\r\nHost: x\r\n`);
              if (i % 4 === 2) s.write(`CONNECT mitm.test:${up.httpsPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
              if (i % 4 === 3) s.write(`GET ${u}/dropped-whole HTTP/1.1\r\nHost: x\r\n\r\n`);
              resolve(s);
            });
            s.on('error', () => resolve(s));
          }),
      ),
    );
    hostile.count += sockets.length;
    // Even ones are reset (RST), odd ones closed (FIN); the half-closed CONNECT case has its own test.
    sockets.forEach((s, i) => {
      if (i % 2 === 0) s.resetAndDestroy();
      else s.destroy();
    });
    await until(
      'dropped connections to be released',
      () => listener.openConnections <= baseline || undefined,
      5000,
    );
    await assertServed('dropped');
  });
});
