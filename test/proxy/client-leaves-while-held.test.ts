// A request or tunnel held for an approval whose client hangs up stops waiting at once: its
// decision is recorded as an error that says the client went away, and answering the card
// afterwards sends nothing upstream. (The exchange's abort signal is made only when
// something waits on it, proxy/lazy-abort.ts: this is the case that makes it.)

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { ApprovalView, RequestDecidedEvent } from '../../supervisor/api/index.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';

let d: TestDaemon;
let upstream: net.Server;
let upstreamPort: number;
/** Everything the upstream was sent, by any connection. */
let received = '';

before(async () => {
  upstream = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', (c: Buffer) => {
      received += c.toString('latin1');
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as net.AddressInfo).port;
  d = await startTestDaemon();
});
after(async () => {
  await d?.stop();
  await new Promise((r) => upstream.close(r));
});

async function heldCard(sandboxId: string, method: string): Promise<ApprovalView> {
  return until(`the ${method} to be held for an approval`, async () =>
    (await d.client.call('GET /v1/approvals')).find((a) => a.sandboxId === sandboxId && a.method === method),
  );
}

for (const kind of ['forward GET', 'CONNECT'] as const) {
  test(`${kind}: a client that hangs up while held ends its wait; a later allow sends nothing`, async () => {
    const { listener } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: ask'));
    const target = `127.0.0.1:${upstreamPort}`;
    const path = `/held-${kind === 'CONNECT' ? 'tunnel' : 'get'}`;
    const head =
      kind === 'CONNECT'
        ? `CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`
        : `GET http://${target}${path} HTTP/1.1\r\nhost: ${target}\r\n\r\n`;
    const socket = net.connect(listener.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write(withProxyAuth(head, listener.clientProxyUrl));
    const method = kind === 'CONNECT' ? 'CONNECT' : 'GET';
    const card = await heldCard(listener.sandboxId, method);
    socket.destroy();

    const gone = await until('the decision that the client went away', () =>
      d.events.find(
        (e): e is RequestDecidedEvent =>
          e.type === 'request.decided' && e.sandboxId === listener.sandboxId && e.method === method,
      ),
    );
    assert.equal(gone.outcome, 'error');
    assert.match(gone.reason, /client went away/);

    // The card may still be answered (another request could be waiting on it): nothing goes up.
    await d.client
      .call('POST /v1/approvals/:id', { params: { id: card.id }, body: { decision: 'allow', scope: 'once' } })
      .catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(received.includes(path), false, `the upstream got: ${JSON.stringify(received)}`);
    if (kind === 'CONNECT') assert.equal(received, '', 'no tunnel was opened upstream');
  });
}

test('CONNECT: what the client sends while a human decides reaches the upstream once allowed', async () => {
  const { listener } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: ask'));
  const target = `127.0.0.1:${upstreamPort}`;
  const socket = net.connect(listener.port, '127.0.0.1');
  socket.on('error', () => {});
  let answer = '';
  socket.on('data', (c: Buffer) => {
    answer += c.toString('latin1');
  });
  socket.write(
    withProxyAuth(`CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\n`, listener.clientProxyUrl),
  );
  const card = await heldCard(listener.sandboxId, 'CONNECT');
  socket.write('early-bytes-1 ');
  await new Promise((r) => setTimeout(r, 100));
  socket.write('early-bytes-2\n');
  await new Promise((r) => setTimeout(r, 100));
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: card.id },
    body: { decision: 'allow', scope: 'once' },
  });
  await until('the early bytes upstream', () => received.includes('early-bytes-1 early-bytes-2\n'));
  await until(
    'the answer through the tunnel',
    () => answer.includes('200 Connection established') && answer.includes('ok'),
  );
  socket.destroy();
});
