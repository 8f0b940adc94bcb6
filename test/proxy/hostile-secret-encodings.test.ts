// A placeholder the agent wraps in a common encoding is still a placeholder: sent to a host
// its secret is not bound to, it is blocked and audited, in the URL, a header, a plain or
// compressed body and a WebSocket frame. Nothing of it reaches the upstream.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import WebSocket from 'ws';
import type { SecretExfiltrationBlockedEvent } from '../../supervisor/api/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { proxyAuthorization } from '../support/proxy-auth.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;
let env: Record<string, string>;
let sandboxId: string;
let ph: string;
let dir: string;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({
    upstreamCa: [up.caPem],
    resolve: { 'api.test': '127.0.0.1', 'other.test': '127.0.0.1' },
  });
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'GH_TOKEN' },
    body: { value: 'ghp_REAL-value-encodings-5e2a', hosts: ['api.test'], inject: 'bearer' },
  });
  const created = await d.listener(
    policyYaml(
      `- match: api.test\n  action: allow\n- match: other.test\n  action: allow\n- match: 127.0.0.1\n  action: allow`,
    ),
    { secrets: ['GH_TOKEN'] },
  );
  env = created.env;
  sandboxId = created.listener.sandboxId;
  ph = env.GH_TOKEN!;
  dir = mkdtempSync(path.join(os.tmpdir(), 'warden-encodings-'));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await d.stop();
  await up.close();
});

const other = () => `https://other.test:${up.httpsPort}`;
const b64 = (lead: string, s: string) => Buffer.from(lead + s).toString('base64');
const pct = (s: string) => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
const blockedWhere = () =>
  d.events
    .filter(
      (e): e is SecretExfiltrationBlockedEvent =>
        e.type === 'secret.exfiltration_blocked' && e.sandboxId === sandboxId,
    )
    .map((e) => e.where);
const reached = (marker: string) => up.received.filter((x) => x.url.includes(marker)).length;

async function expectBlocked(marker: string, args: string[], where: string): Promise<void> {
  const before = blockedWhere().length;
  const r = await curl(env, args);
  assert.equal(r.status, 403, `${marker}: ${r.status} ${r.body.slice(0, 200)} ${r.stderr}`);
  assert.match(r.body, /placeholder of secret GH_TOKEN/, marker);
  assert.equal(reached(marker), 0, `${marker} reached the upstream`);
  const added = blockedWhere().slice(before);
  assert.ok(added.includes(where), `${marker}: audited as ${added.join(',') || 'nothing'}, not ${where}`);
}

test('in the URL: upper-case, percent-encoded, base64 and base64url at each alignment', async () => {
  const forms: Record<string, string> = {
    upper: ph.toUpperCase(),
    percent: pct(ph),
    b64a0: encodeURIComponent(b64('', ph)),
    b64a1: encodeURIComponent(b64('x', ph)),
    b64a2: encodeURIComponent(b64('xy', ph)),
    b64url: Buffer.from(`z${ph}`).toString('base64url'),
  };
  for (const [name, form] of Object.entries(forms)) {
    await expectBlocked(`/u-${name}`, [`${other()}/u-${name}?d=${form}`], 'url');
  }
});

test('in a header: base64 and upper-case', async () => {
  await expectBlocked('/h-b64', ['-H', `X-Data: ${b64('ab', ph)}`, `${other()}/h-b64`], 'x-data');
  await expectBlocked('/h-upper', ['-H', `X-Data: ${ph.toUpperCase()}`, `${other()}/h-upper`], 'x-data');
});

test('in a body: base64, percent-encoded, upper-case', async () => {
  const bodies: Record<string, string> = {
    b64: `{"blob":"${b64('ab', ph)}"}`,
    percent: `token=${pct(ph)}`,
    upper: `token=${ph.toUpperCase()}`,
  };
  for (const [name, body] of Object.entries(bodies)) {
    await expectBlocked(`/b-${name}`, ['--data-binary', body, `${other()}/b-${name}`], 'body');
  }
});

test('in a compressed body: gzip, deflate, br', async () => {
  const body = Buffer.from(`{"pad":"${'x'.repeat(5000)}","token":"${ph}"}`);
  const coded: Record<string, Buffer> = {
    gzip: gzipSync(body),
    deflate: deflateSync(body),
    br: brotliCompressSync(body),
  };
  for (const [coding, bytes] of Object.entries(coded)) {
    const file = path.join(dir, coding);
    writeFileSync(file, bytes);
    await expectBlocked(
      `/z-${coding}`,
      ['-H', `Content-Encoding: ${coding}`, '--data-binary', `@${file}`, `${other()}/z-${coding}`],
      'body',
    );
  }
});

test('a body in an encoding Warden cannot read is refused with a 400 that says so', async () => {
  const r = await curl(env, [
    '-H',
    'Content-Encoding: zstd',
    '--data-binary',
    'not really zstd',
    `${other()}/z-zstd`,
  ]);
  assert.equal(r.status, 400, r.stderr);
  assert.match(r.body, /encoded with "zstd", which Warden cannot read/);
  assert.equal(reached('/z-zstd'), 0);
});

/** Send one message over wss through the proxy (CONNECT, then TLS); the reply, or `closed`. */
function wsSend(message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer in 5 s')), 5000);
    const proxy = new URL(env.HTTPS_PROXY!);
    const ws = new WebSocket(`wss://other.test:${up.httpsPort}/ws`, {
      createConnection: ((_o: unknown, cb: (e: Error | null, s?: tls.TLSSocket) => void) => {
        const req = http.request({
          host: proxy.hostname,
          port: Number(proxy.port),
          method: 'CONNECT',
          path: `other.test:${up.httpsPort}`,
          headers: { 'proxy-authorization': proxyAuthorization(env.HTTPS_PROXY!) },
        });
        req.once('connect', (_res, socket) => {
          cb(null, tls.connect({ socket, servername: 'other.test', ca: d.daemon.ca.certPem }));
        });
        req.once('error', (e) => cb(e));
        req.end();
        return undefined;
      }) as never,
    } as WebSocket.ClientOptions);
    ws.once('open', () => ws.send(message));
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve(data.toString());
      ws.close();
    });
    ws.once('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    ws.once('error', () => {});
  });
}

test('in a WebSocket frame: raw and base64 placeholders are blocked, other messages pass', async () => {
  assert.equal(await wsSend('hello'), 'echo:hello');
  for (const message of [`say ${ph}`, `say ${b64('q', ph)}`]) {
    const before = blockedWhere().length;
    assert.equal(await wsSend(message), 'closed');
    await until('websocket exfiltration event', () => blockedWhere().slice(before).includes('websocket'));
  }
});
