// Paths spelled so that a server may read them differently from the policy: encoded `/`
// and `\`, `;` parameters (`..;/`), encoded and double-encoded dot segments, `//`. Under
// an `/ok/**` allow and an `/admin/**` deny, none of them may reach `/admin` on the
// upstream: when path rules decide, the proxy refuses them (400, naming the part), and
// what it forwards is the path it decided. Sent with curl --path-as-is and raw sockets,
// as plain HTTP, inside an intercepted tunnel and as a WebSocket handshake.
// All traffic goes to 127.0.0.1; every wait is bounded.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { withProxyAuth } from '../support/proxy-auth.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'api.test': '127.0.0.1' } });
});
after(async () => {
  await d?.stop();
  await up?.close();
});

const PATH_RULES = [
  '- match: 127.0.0.1',
  '  paths: ["/ok/**"]',
  '  action: allow',
  '- match: 127.0.0.1',
  '  paths: ["/admin/**"]',
  '  action: deny',
  '- match: api.test',
  '  paths: ["/ok/**"]',
  '  action: allow',
  '- match: api.test',
  '  paths: ["/admin/**"]',
  '  action: deny',
].join('\n');

/** Each trick, with the part the refusal must name. */
const TRICKS: Array<[string, RegExp]> = [
  ['/ok/..%2Fadmin/x', /encoded "\/"/],
  ['/ok/..%2fadmin', /encoded "\/"/],
  ['/ok/%2e%2e%2fadmin', /encoded "\/"|encoded dot segment/],
  ['/ok/..;/admin/x', /";"/],
  ['/ok/.;/../admin/x', /";"/],
  ['/ok/..%3B/admin/x', /";"/],
  ['/ok/x;/../../admin', /";"/],
  ['/ok/..%5Cadmin', /backslash/],
  ['/ok/..%5cadmin/x', /backslash/],
  ['/ok/..\\admin/x', /backslash/],
  ['/ok/%2e%2e/admin/x', /encoded dot segment/],
  ['/ok/.%2E/admin/x', /encoded dot segment/],
  ['/ok/%2e/x', /encoded dot segment/],
  ['/ok/..%252Fadmin', /double-encoded/],
  ['/ok/%252e%252e/admin', /double-encoded/],
  ['/ok//..//admin/x', /empty segment/],
];

/** Nothing the upstream received since `from` was under /admin, however it reads the path. */
function assertNoAdmin(from: number): void {
  const reached = up.received
    .slice(from)
    .map((r) => r.url)
    .filter((url) => /admin/i.test(decodeURIComponent(url.replace(/%25/gi, '%'))));
  assert.deepEqual(reached, [], 'no trick reached /admin on the upstream');
}

/** Raw request bytes to a listener; the answer's status line and body, bounded in time. */
function raw(port: number, proxyUrl: string, data: string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (Buffer.concat(chunks).includes('\r\n\r\n')) setTimeout(() => socket.destroy(), 100);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(withProxyAuth(data, proxyUrl));
  });
}

describe('ambiguous paths under path rules', () => {
  let env: Record<string, string>;
  let port: number;
  let proxyUrl: string;
  before(async () => {
    const created = await d.listener(policyYaml(PATH_RULES));
    env = created.env;
    port = created.listener.port;
    proxyUrl = created.listener.clientProxyUrl;
  });

  test('plain paths still work, and the normalized path is what is forwarded', async () => {
    const from = up.received.length;
    const ok = await curl(env, ['--path-as-is', `http://127.0.0.1:${up.httpPort}/ok/a/../b?q=1`]);
    assert.equal(ok.status, 200, ok.body);
    assert.equal(up.received[from]?.url, '/ok/b?q=1');
    const admin = await curl(env, [`http://127.0.0.1:${up.httpPort}/admin/x`]);
    assert.equal(admin.status, 403, admin.body);
    const climb = await curl(env, ['--path-as-is', `http://127.0.0.1:${up.httpPort}/ok/../admin/x`]);
    assert.equal(climb.status, 403, climb.body);
    assert.equal(up.received.length, from + 1, 'only the allowed request reached the upstream');
  });

  test('curl --path-as-is: every trick is refused with 400 naming the ambiguous part', async () => {
    const from = up.received.length;
    const wrong: string[] = [];
    for (const [path, part] of TRICKS) {
      const r = await curl(env, ['--path-as-is', `http://127.0.0.1:${up.httpPort}${path}`]);
      if (r.status !== 400 || !part.test(r.body)) wrong.push(`${path} → ${r.status} ${r.body.slice(0, 200)}`);
    }
    assert.deepEqual(wrong, []);
    assertNoAdmin(from);
    assert.equal(up.received.length, from, 'no refused request reached the upstream');
  });

  test('raw sockets: every trick is refused with 400, audited', async () => {
    const from = up.received.length;
    const wrong: string[] = [];
    for (const [path] of TRICKS) {
      const text = await raw(
        port,
        proxyUrl,
        `GET http://127.0.0.1:${up.httpPort}${path} HTTP/1.1\r\nHost: 127.0.0.1:${up.httpPort}\r\nConnection: close\r\n\r\n`,
      );
      if (!text.startsWith('HTTP/1.1 400')) wrong.push(`${path} → ${JSON.stringify(text.slice(0, 80))}`);
    }
    assert.deepEqual(wrong, []);
    assertNoAdmin(from);
    const refusal = d.events.find(
      (e) =>
        e.type === 'request.decided' &&
        e.outcome === 'denied' &&
        /ambiguous/.test(e.reason) &&
        e.status === 400,
    );
    assert.ok(refusal, 'the refusal is in the audit trail');
  });

  test('inside an intercepted TLS tunnel: every trick is refused with 400', async () => {
    const from = up.received.length;
    const wrong: string[] = [];
    for (const [path, part] of TRICKS) {
      const r = await curl(env, ['--path-as-is', `https://api.test:${up.httpsPort}${path}`]);
      if (r.status !== 400 || !part.test(r.body)) wrong.push(`${path} → ${r.status} ${r.stderr}`);
    }
    assert.deepEqual(wrong, []);
    assertNoAdmin(from);
    const ok = await curl(env, [`https://api.test:${up.httpsPort}/ok/x`]);
    assert.equal(ok.status, 200, `${ok.stderr} ${ok.body}`);
  });

  test('as a WebSocket handshake: refused with 400 before anything goes upstream', async () => {
    const from = up.received.length;
    const text = await raw(
      port,
      proxyUrl,
      `GET http://127.0.0.1:${up.httpPort}/ok/..%2Fadmin HTTP/1.1\r\nHost: 127.0.0.1:${up.httpPort}\r\n` +
        'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    assert.match(text, /^HTTP\/1\.1 400/);
    assert.match(text, /encoded "\/"/);
    assert.equal(up.received.length, from);
  });
});

describe('paths under host-level rules only', () => {
  test('the path decides nothing, so it is forwarded as sent (an encoded "/" is kept)', async () => {
    const { env } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
    const from = up.received.length;
    const r = await curl(env, ['--path-as-is', `http://127.0.0.1:${up.httpPort}/projects/group%2Fname`]);
    assert.equal(r.status, 200, r.body);
    assert.equal(up.received[from]?.url, '/projects/group%2Fname');
  });

  test('a path rule elsewhere in the policy does not make other hosts refuse', async () => {
    const yaml = policyYaml(
      [
        '- match: 127.0.0.1',
        '  action: allow',
        '- match: api.test',
        '  paths: ["/ok/**"]',
        '  action: allow',
      ].join('\n'),
    );
    const { env } = await d.listener(yaml);
    const r = await curl(env, ['--path-as-is', `http://127.0.0.1:${up.httpPort}/a;b/c%2Fd`]);
    assert.equal(r.status, 200, r.body);
  });

  test('a path rule consulted before the deciding rule refuses "//" (slash-merging servers)', async () => {
    const yaml = policyYaml(
      [
        '- match: 127.0.0.1',
        '  paths: ["/admin/**"]',
        '  action: deny',
        '- match: 127.0.0.1',
        '  action: allow',
      ].join('\n'),
    );
    const { env } = await d.listener(yaml);
    const from = up.received.length;
    const r = await curl(env, ['--path-as-is', `http://127.0.0.1:${up.httpPort}//admin/x`]);
    assert.equal(r.status, 400, r.body);
    assert.match(r.body, /empty segment/);
    assertNoAdmin(from);
  });
});
