// The decision is recorded when it is made, before the exchange ends; the outcome and byte
// counts follow in a `request.ended` record linked to it by the request id. A daemon that
// stops with a request and a tunnel still open records both records of each before its
// audit writer closes.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { AuditRecord } from '../../supervisor/api/index.ts';
import { AuditStore } from '../../supervisor/audit/index.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';

let d: TestDaemon;
let held: net.Server;
const heldSockets: net.Socket[] = [];
let heldPort: number;
const clients: net.Socket[] = [];

/** A server that answers a little and never ends: HTTP for `GET /held`, raw bytes otherwise. */
function holdOpen(socket: net.Socket): void {
  heldSockets.push(socket);
  socket.on('error', () => {});
  socket.once('data', (first: Buffer) => {
    if (first.toString('latin1').startsWith('GET /held')) {
      socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n');
    } else {
      socket.write('pong');
    }
  });
}

before(async () => {
  held = net.createServer(holdOpen);
  await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
  heldPort = (held.address() as net.AddressInfo).port;
  d = await startTestDaemon();
});
after(async () => {
  for (const c of clients) c.destroy();
  await d?.daemon.stop();
  await rm(d?.home ?? '', { recursive: true, force: true });
  for (const s of heldSockets) s.destroy();
  await new Promise((r) => held.close(r));
});

/** Connect to the proxy, send `data`, resolve once `expect` has come back (the socket stays open). */
function openThrough(port: number, data: string, expect: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    clients.push(socket);
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no "${expect}" through the proxy: ${text}`)), 5000);
    socket.on('error', () => {});
    socket.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      if (text.includes(expect)) {
        clearTimeout(timer);
        resolve(socket);
      }
    });
    socket.write(data);
  });
}

const requestId = (r: AuditRecord) => (r.ocsf.unmapped as { request_id?: string }).request_id;

test('decisions are recorded while the exchange is open; the ends follow at daemon stop, linked', async () => {
  const { listener } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
  const sandbox = listener.sandboxId;
  const target = `127.0.0.1:${heldPort}`;
  const authed = (head: string) => withProxyAuth(head, listener.clientProxyUrl);
  await openThrough(
    listener.port,
    authed(`GET http://${target}/held HTTP/1.1\r\nhost: ${target}\r\n\r\n`),
    'hello',
  );
  const tunnel = await openThrough(
    listener.port,
    authed(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`),
    '200',
  );
  // A line, as real protocols send: a host-level tunnel is spliced once its start is not HTTP.
  tunnel.write('ping\n');
  await until('the pong through the tunnel', () => tunnel.bytesRead > 40);

  // Both exchanges are still open: their decisions are in the trail already.
  const decided = await until('both decisions in the trail', () => {
    const found = d.daemon.audit.query({ sandbox, kind: 'request.decided' }, { limit: 10 }).records;
    return found.length === 2 && found;
  });
  for (const r of decided) assert.equal(r.outcome, 'allowed');
  const methods = decided.map((r) => (r.ocsf.http_request as { http_method: string }).http_method).sort();
  assert.deepEqual(methods, ['CONNECT', 'GET']);
  assert.equal(
    d.daemon.audit.query({ sandbox, kind: 'request.ended' }).records.length,
    0,
    'nothing ended yet',
  );

  await d.daemon.stop();
  const store = AuditStore.open(d.daemon.paths.auditDb, { readOnly: true });
  try {
    const records = store.query({ sandbox }, { limit: 100, order: 'asc' }).records;
    const ended = records.filter((r) => r.kind === 'request.ended');
    assert.equal(ended.length, 2, `records: ${records.map((r) => r.kind).join()}`);
    for (const end of ended) {
      const start = records.find((r) => r.kind === 'request.decided' && requestId(r) === requestId(end));
      assert.ok(start, `the end of ${requestId(end)} links to its decision`);
      assert.ok(start.seq < end.seq, 'the decision comes first');
      assert.match(String(end.ocsf.status_detail), /daemon|closed/);
    }
    const tunnelEnd = ended.find((r) => (r.ocsf.unmapped as { method?: string }).method === 'CONNECT');
    assert.ok(tunnelEnd, 'the tunnel has its end record');
    const traffic = tunnelEnd.ocsf.traffic as { bytes_out: number; bytes_in: number };
    assert.equal(traffic.bytes_out, 5, 'ping and its newline went up');
    assert.equal(traffic.bytes_in, 4, 'pong came down');
    assert.equal(store.verify().ok, true, 'the chain verifies');
  } finally {
    store.close();
  }
});
