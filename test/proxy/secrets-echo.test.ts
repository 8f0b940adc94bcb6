// Real secret values must not come back to the agent. A query secret is put only into its
// named parameter, and whatever a bound host sends back (headers, plain or compressed body,
// WebSocket messages) is searched for the injected values, which are redacted in place and
// recorded as `secret.redacted` (the name, never the value).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { WardenEvent } from '../../supervisor/api/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import { HttpsProxyAgentLike } from '../support/ws-proxy.ts';

const VALUE = 'ghp_REAL-echoed-value-93d1c7aa';
const QVALUE = 'qk_REAL-query/value+7';
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
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'Q_KEY' },
    body: { value: QVALUE, hosts: ['api.test'], inject: 'query:key' },
  });
  const created = await d.listener(
    policyYaml(
      `- match: api.test\n  action: allow\n- match: other.test\n  action: allow\n- match: 127.0.0.1\n  action: allow`,
    ),
    { secrets: ['GH_TOKEN', 'Q_KEY'] },
  );
  env = created.env;
  sandboxId = created.listener.sandboxId;
});
after(async () => {
  await d.stop();
  await up.close();
});

const base = () => `https://api.test:${up.httpsPort}`;
/** The agent sends its placeholder; a value is only ever put where a placeholder is. */
const bearer = () => ['-H', `Authorization: Bearer ${env.GH_TOKEN}`];
const leaks = (text: string) => [VALUE, QVALUE, encodeURIComponent(QVALUE)].filter((v) => text.includes(v));
const redactions = (): Array<Extract<WardenEvent, { type: 'secret.redacted' }>> =>
  d.events.filter(
    (e): e is Extract<WardenEvent, { type: 'secret.redacted' }> =>
      e.type === 'secret.redacted' && e.sandboxId === sandboxId,
  );

test('a query secret is put only into its named parameter, not the path or other parameters', async () => {
  const ph = env.Q_KEY!;
  const r = await curl(env, [`${base()}/${ph}/look?note=${ph}&key=${ph}&keyx=${ph}`]);
  assert.equal(r.status, 200, r.stderr);
  const got = up.received.findLast((x) => x.url.includes('/look'));
  assert.equal(
    got?.url,
    `/${ph}/look?note=${ph}&key=${encodeURIComponent(QVALUE)}&keyx=${ph}`,
    'only key= carries the value',
  );
});

test('an echoing bound host never hands the value back: the body is redacted, same length', async () => {
  const r = await curl(env, ['-H', `Authorization: Bearer ${env.GH_TOKEN}`, `${base()}/echo`]);
  assert.equal(r.status, 200, r.stderr);
  assert.deepEqual(leaks(r.body + r.headers), []);
  const echoed = JSON.parse(r.body) as { headers: Record<string, string>; url: string };
  assert.equal(echoed.headers.authorization, `Bearer ${'*'.repeat(VALUE.length)}`);
  assert.equal(
    up.received.findLast((x) => x.url.startsWith('/echo'))?.headers.authorization,
    `Bearer ${VALUE}`,
  );
  const e = await until('redaction event', () => redactions().find((x) => x.where === 'body'));
  assert.equal(e.host, 'api.test');
  assert.ok(['GH_TOKEN', 'Q_KEY'].includes(e.secret));
});

test('a value cut across two chunks of the response is redacted too', async () => {
  const r = await curl(env, [...bearer(), `${base()}/echo-split`]);
  assert.equal(r.status, 200, r.stderr);
  assert.deepEqual(leaks(r.body), []);
  assert.match(r.body, /"authorization":"Bearer \*+"/);
});

test('response headers are redacted (an echoed header, a Location carrying the query value)', async () => {
  const r = await curl(env, [...bearer(), `${base()}/echo-header?key=${env.Q_KEY}`]);
  assert.equal(r.status, 302, r.stderr);
  assert.deepEqual(leaks(r.headers), []);
  assert.match(r.headers, /x-echo-authorization: Bearer \*+/i);
  await until('header redaction event', () =>
    redactions().find((x) => x.where === 'header:x-echo-authorization' && x.secret === 'GH_TOKEN'),
  );
  await until('location redaction event', () =>
    redactions().find((x) => x.where === 'header:location' && x.secret === 'Q_KEY'),
  );
});

test('compression cannot hide the value: identity is asked for, a compressed answer is decoded and redacted', async () => {
  const r = await curl(env, [...bearer(), '--compressed', `${base()}/echo-gzip`]);
  assert.equal(r.status, 200, r.stderr);
  assert.deepEqual(leaks(r.body), []);
  const got = up.received.findLast((x) => x.url.startsWith('/echo-gzip'));
  assert.equal(got?.headers['accept-encoding'], 'identity');
  assert.match(r.body, /"authorization":"Bearer \*+"/);
});

test('WebSocket messages from a bound host are redacted, also when fragmented', async () => {
  const agent = new HttpsProxyAgentLike(env.HTTPS_PROXY!, d.daemon.ca.certPem);
  // The handshake carries the placeholder; the proxy puts the value in, the echo brings it back.
  const auth = { authorization: `Bearer ${env.GH_TOKEN}` };
  const whole = await agent.exchange(`wss://api.test:${up.httpsPort}/ws`, 'headers', auth);
  assert.deepEqual(leaks(whole), []);
  assert.match(whole, /"authorization":"Bearer \*+"/);
  const split = await agent.exchange(`wss://api.test:${up.httpsPort}/ws`, 'headers-split', auth);
  assert.deepEqual(leaks(split), []);
  assert.match(split, /"authorization":"Bearer \*+"/);
  await until('websocket redaction event', () => redactions().find((x) => x.where === 'websocket'));
});

test('an unbound host gets no value and its answer is passed unchanged', async () => {
  const r = await curl(env, [`https://other.test:${up.httpsPort}/echo`]);
  assert.equal(r.status, 200, r.stderr);
  const echoed = JSON.parse(r.body) as { headers: Record<string, string> };
  assert.equal(echoed.headers.authorization, undefined);
});

test('no real value in a log line or an event', () => {
  assert.deepEqual(leaks(d.logs.join('\n')), []);
  assert.deepEqual(leaks(JSON.stringify(d.events)), []);
});
