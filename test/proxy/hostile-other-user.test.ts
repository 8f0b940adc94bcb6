// Another user on the same machine can reach every loopback port. A listener must serve
// only the sandbox or process it was made for: without its credential a request (plain
// HTTP, CONNECT, WebSocket upgrade) gets a 407, reaches no upstream, gets no secret, and
// is audited without what was presented. Real clients (curl, undici, ws) with the
// credential are served, and the credential is never forwarded upstream.
// All traffic goes to 127.0.0.1; every wait is bounded.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import type { RequestDecidedEvent } from '../../supervisor/api/index.ts';
import { neutralContext } from '../../supervisor/sandboxes/neutral-context.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { proxyAuthorization, withoutCredential } from '../support/proxy-auth.ts';
import { rawExchange } from '../support/raw-exchange.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import { HttpsProxyAgentLike } from '../support/ws-proxy.ts';

const VALUE = 'ghp_other-user-must-never-get-this-7c1d';
const WRONG = `Basic ${Buffer.from('warden:not-the-credential', 'utf8').toString('base64')}`;

let up: Upstreams;
let d: TestDaemon;
let env: Record<string, string>;
let proxyUrl: string;
let port: number;
let sandboxId: string;
/** A TCP server that only counts the connections made to it (a CONNECT or upgrade target). */
let sink: net.Server;
let sinkPort: number;
let sinkConnections = 0;

before(async () => {
  up = await startUpstreams();
  sink = net.createServer((s) => {
    sinkConnections += 1;
    s.destroy();
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  sinkPort = (sink.address() as net.AddressInfo).port;
  d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'api.test': '127.0.0.1' } });
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'GH_TOKEN' },
    body: { value: VALUE, hosts: ['api.test'], inject: 'bearer' },
  });
  const created = await d.listener(
    policyYaml('- match: api.test\n  action: allow\n- match: 127.0.0.1\n  action: allow'),
    { secrets: ['GH_TOKEN'], label: 'owner' },
  );
  env = created.env;
  proxyUrl = created.listener.clientProxyUrl;
  port = created.listener.port;
  sandboxId = created.listener.sandboxId;
});

after(async () => {
  await d?.stop();
  await up?.close();
  sink?.close();
});

const raw = rawExchange;

const authLine = (value: string | undefined) => (value ? `Proxy-Authorization: ${value}\r\n` : '');
const refusals = () =>
  d.events.filter(
    (e): e is RequestDecidedEvent =>
      e.type === 'request.decided' && e.status === 407 && e.sandboxId === sandboxId,
  );

function assert407(text: string, what: string): void {
  assert.match(text, /^HTTP\/1\.1 407 Proxy Authentication Required\r\n/, what);
  assert.match(text, /\r\nproxy-authenticate: Basic realm="warden"\r\n/i, what);
  assert.match(text, /proxy credential/, `${what}: the body says what is missing`);
  assert.match(text, /To use this proxy:[\s\S]*warden proxy/, `${what}: the body says what to do`);
  assert.ok(!text.includes(sandboxId), `${what}: the refusal does not say whose listener it is`);
  assert.ok(!text.includes(VALUE), `${what}: no secret`);
}

describe('another user without the credential', () => {
  const cases: Array<[string, () => string | undefined]> = [
    ['no credential', () => undefined],
    ['a wrong credential', () => WRONG],
    ['the right credential as a bearer token', () => `Bearer ${new URL(proxyUrl).password}`],
  ];
  for (const [label, headerOf] of cases) {
    test(`${label}: plain HTTP gets a 407 and nothing reaches the upstream`, async () => {
      const before = up.received.length;
      const path = `/other-user-${label.replace(/\W+/g, '-')}`;
      const text = await raw(
        port,
        `GET http://127.0.0.1:${up.httpPort}${path} HTTP/1.1\r\nHost: 127.0.0.1:${up.httpPort}\r\n` +
          `${authLine(headerOf())}Content-Length: 5\r\n\r\nhello`,
      );
      assert407(text, label);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        up.received.slice(before).map((x) => x.url),
        [],
        'nothing reached the upstream',
      );
    });

    test(`${label}: CONNECT gets a 407 and no tunnel is opened`, async () => {
      const before = sinkConnections;
      const spliced = await raw(
        port,
        `CONNECT 127.0.0.1:${sinkPort} HTTP/1.1\r\nHost: 127.0.0.1:${sinkPort}\r\n${authLine(headerOf())}\r\n`,
      );
      assert407(spliced, `${label}, spliced CONNECT`);
      // A sandbox holding placeholders has its tunnels intercepted: not for another user.
      const secretHost = await raw(
        port,
        `CONNECT api.test:${up.httpsPort} HTTP/1.1\r\nHost: api.test:${up.httpsPort}\r\n${authLine(headerOf())}\r\n`,
      );
      assert407(secretHost, `${label}, CONNECT to the secret's host`);
      assert.equal(sinkConnections, before, 'no connection reached the CONNECT target');
    });

    test(`${label}: a WebSocket upgrade gets a 407 and reaches no upstream`, async () => {
      const before = sinkConnections;
      const text = await raw(
        port,
        `GET ws://127.0.0.1:${sinkPort}/ws HTTP/1.1\r\nHost: 127.0.0.1:${sinkPort}\r\n${authLine(headerOf())}` +
          'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      assert407(text, `${label}, upgrade`);
      assert.equal(sinkConnections, before, 'no connection reached the upgrade target');
    });
  }

  test('real clients without the credential are refused too (curl, undici, ws)', async () => {
    const anonymous = withoutCredential(proxyUrl);
    const bare = {
      ...env,
      HTTP_PROXY: anonymous,
      HTTPS_PROXY: anonymous,
      http_proxy: anonymous,
      https_proxy: anonymous,
    };
    const plain = await curl(bare, [`http://127.0.0.1:${up.httpPort}/anonymous-curl`]);
    assert.equal(plain.status, 407);
    const tls = await curl(bare, [
      '-H',
      `Authorization: Bearer ${env.GH_TOKEN}`,
      `https://api.test:${up.httpsPort}/anonymous-tls`,
    ]);
    assert.notEqual(tls.exitCode, 0, 'curl cannot open the tunnel');
    assert.match(tls.headers, /407 Proxy Authentication Required/);
    const agent = new ProxyAgent({ uri: anonymous, proxyTunnel: false });
    try {
      await assert.rejects(
        undiciFetch(`http://127.0.0.1:${up.httpPort}/anonymous-undici`, {
          dispatcher: agent,
          signal: AbortSignal.timeout(5000),
        }),
        (error: Error) => /\(407\)/.test(String((error.cause as Error | undefined)?.message)),
      );
    } finally {
      await agent.close();
    }
    const ws = new HttpsProxyAgentLike(anonymous, d.daemon.ca.certPem);
    await assert.rejects(ws.exchange(`ws://127.0.0.1:${up.httpPort}/ws`, 'x'), /CONNECT 407/);
    assert.ok(!up.received.some((x) => x.url.startsWith('/anonymous')), 'nothing reached the upstream');
    assert.ok(
      !d.events.some((e) => e.type === 'secret.injected' && e.sandboxId === sandboxId),
      'no secret was injected for anyone',
    );
  });

  test('every refusal is audited, without the credential presented or the real one', async () => {
    const events = await until('the refusals to be recorded', () => refusals().length >= 12 && refusals());
    for (const e of events) {
      assert.equal(e.outcome, 'denied');
      assert.equal(e.decidedBy, 'proxy');
      assert.match(e.reason, /proxy credential/);
    }
    assert.ok(events.some((e) => e.method === 'CONNECT' && e.host === 'api.test'));
    const everything = JSON.stringify(d.events) + d.logs.join('\n');
    const credential = new URL(proxyUrl).password;
    assert.ok(credential.length >= 22, 'at least 128 bits');
    for (const text of [credential, proxyAuthorization(proxyUrl), WRONG, 'not-the-credential']) {
      assert.ok(!everything.includes(text), 'no credential in events or logs');
    }
  });
});

describe('the sandbox with its credential', () => {
  test('curl is served (plain HTTP and intercepted HTTPS with its secret), Proxy-Authorization is not forwarded', async () => {
    const plain = await curl(env, [`http://127.0.0.1:${up.httpPort}/owner-plain`]);
    assert.equal(plain.status, 200, plain.stderr);
    const tls = await curl(env, [
      '-H',
      `Authorization: Bearer ${env.GH_TOKEN}`,
      `https://api.test:${up.httpsPort}/owner-tls`,
    ]);
    assert.equal(tls.status, 200, tls.stderr);
    const got = up.received.filter((x) => x.url.startsWith('/owner-'));
    assert.deepEqual(
      got.map((x) => x.url),
      ['/owner-plain', '/owner-tls'],
    );
    assert.equal(got[1]?.headers.authorization, `Bearer ${VALUE}`);
    for (const x of got) assert.equal(x.headers['proxy-authorization'], undefined);
  });

  test('undici ProxyAgent is served (forward and tunnel)', async () => {
    const forward = new ProxyAgent({ uri: proxyUrl, proxyTunnel: false });
    const tunnel = new ProxyAgent({ uri: proxyUrl, requestTls: { ca: [d.daemon.ca.certPem] } });
    try {
      const a = await undiciFetch(`http://127.0.0.1:${up.httpPort}/owner-undici`, {
        dispatcher: forward,
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(a.status, 200);
      assert.equal(
        ((await a.json()) as { headers: Record<string, string> }).headers['proxy-authorization'],
        undefined,
      );
      const b = await undiciFetch(`https://api.test:${up.httpsPort}/owner-undici-tls`, {
        dispatcher: tunnel,
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(b.status, 200);
      await b.arrayBuffer();
    } finally {
      await Promise.all([forward.close(), tunnel.close()]);
    }
  });

  test('a WebSocket client is served', async () => {
    const ws = new HttpsProxyAgentLike(proxyUrl, d.daemon.ca.certPem);
    assert.equal(await ws.exchange(`ws://127.0.0.1:${up.httpPort}/ws`, 'mine'), 'echo:mine');
  });

  test('npm sends the credential from its proxy setting', async () => {
    const before = up.received.length;
    await new Promise<void>((resolve) => {
      execFile(
        'npm',
        [
          'view',
          'warden-auth-probe',
          '--registry',
          `http://127.0.0.1:${up.httpPort}/npm/`,
          '--proxy',
          proxyUrl,
          '--fetch-retries',
          '0',
          '--cache',
          `${d.home}/npm-cache`,
        ],
        { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.home }, timeout: 30_000 },
        () => resolve(),
      );
    });
    const got = up.received.slice(before).find((x) => x.url.startsWith('/npm/'));
    assert.ok(got, 'npm reached the registry through the listener');
    assert.equal(got.headers['proxy-authorization'], undefined);
  });
});

describe('one kept-alive connection', () => {
  test('a connection that presented the credential is refused when a later request drops or changes it', async () => {
    const right = proxyAuthorization(proxyUrl);
    const request = (auth: string | undefined, last = false) =>
      `GET http://127.0.0.1:${up.httpPort}/kept-alive-auth/${auth?.slice(6) === right.slice(6) ? 'right' : 'other'} HTTP/1.1\r\nHost: 127.0.0.1:${up.httpPort}\r\n` +
      `${authLine(auth)}${last ? 'Connection: close\r\n' : ''}\r\n`;
    const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    const before = up.received.length;
    // Pipelined on one connection each; a 407 closes its connection.
    assert.deepEqual(
      statuses(await raw(port, request(right) + request(WRONG) + request(right, true))),
      [200, 407],
    );
    assert.deepEqual(
      statuses(await raw(port, request(right) + request(undefined) + request(right, true))),
      [200, 407],
    );
    assert.deepEqual(
      statuses(
        await raw(port, request(right) + request(right.replace('Basic', 'basic')) + request(right, true)),
      ),
      [200, 200, 200],
      'the same credential spelled otherwise is checked again, and accepted',
    );
    await new Promise((r) => setTimeout(r, 100));
    // A pipelined request after a 407 may still be read (with the credential, it is served).
    const reached = up.received.slice(before).map((x) => x.url);
    assert.ok(
      !reached.includes('/kept-alive-auth/other'),
      'a request without the credential reached no upstream',
    );
    assert.ok(reached.filter((u) => u === '/kept-alive-auth/right').length >= 5);
  });
});

describe('a warm-pool listener handed to a sandbox', () => {
  test("the idle context's credential does not let its clients act as the adopted sandbox", async () => {
    const idle = neutralContext('pool-auth-test', 'tester');
    const listener = await d.daemon.sandboxes.createIdle(idle);
    const idleUrl = idle.proxyCredential.url('127.0.0.1', listener.port);
    const early = net.connect(listener.port, '127.0.0.1');
    early.on('error', () => {});
    await new Promise((r) => early.once('connect', r));
    const sandbox = d.daemon.sandboxes.adopt(
      {
        label: 'adopted',
        policy: { yaml: policyYaml('- match: 127.0.0.1\n  action: allow'), source: `${d.home}/adopted.yaml` },
        secrets: [],
      },
      listener,
      'vm',
    );
    try {
      const request = (auth: string) =>
        `GET http://127.0.0.1:${up.httpPort}/adopted HTTP/1.1\r\nHost: 127.0.0.1:${up.httpPort}\r\n` +
        `Proxy-Authorization: ${auth}\r\nConnection: close\r\n\r\n`;
      const before = up.received.length;
      assert.match(await raw(listener.port, request(proxyAuthorization(idleUrl))), /^HTTP\/1\.1 407 /);
      // A connection the idle context accepted stays the idle context's, whatever it sends.
      const onEarly = await new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        const timer = setTimeout(() => early.destroy(), 3000);
        early.on('data', (c: Buffer) => chunks.push(c));
        early.on('close', () => {
          clearTimeout(timer);
          resolve(Buffer.concat(chunks).toString('latin1'));
        });
        early.write(request(sandbox.proxyCredential.header()));
      });
      assert.match(onEarly, /^HTTP\/1\.1 407 /);
      assert.equal(up.received.length, before, 'nothing reached the upstream');
      const served = await raw(listener.port, request(sandbox.proxyCredential.header()));
      assert.match(served, /^HTTP\/1\.1 200 /);
    } finally {
      await d.daemon.sandboxes.remove(sandbox.identity.sandboxId);
    }
  });
});
