// An agent that gets a bound host to echo its injected secret must not read the value in
// slices: each slice alone never holds the whole value, so redaction cannot see it. A byte
// range is not asked of a host whose answer is searched; the whole answer is redacted.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const VALUE = 'ghp_REAL-ranged-value-5be01c9d';
let up: Upstreams;
let d: TestDaemon;
let env: Record<string, string>;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'api.test': '127.0.0.1' } });
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'GH_TOKEN' },
    body: { value: VALUE, hosts: ['api.test'], inject: 'bearer' },
  });
  const created = await d.listener(
    policyYaml('- match: api.test\n  action: allow\n- match: 127.0.0.1\n  action: allow'),
    { secrets: ['GH_TOKEN'] },
  );
  env = created.env;
});
after(async () => {
  await d.stop();
  await up.close();
});

test('Range slices of an echo never add up to the value: no Range goes upstream, the answer is whole', async () => {
  const url = `https://api.test:${up.httpsPort}/echo-range`;
  const auth = ['-H', `Authorization: Bearer ${env.GH_TOKEN}`];
  const step = 16;
  let assembled = '';
  for (let at = 0; at < 4096; at += step) {
    const r = await curl(env, [...auth, '-r', `${at}-${at + step - 1}`, url]);
    if (r.status !== 206) {
      assert.equal(r.status, 200, `${r.stderr} ${r.body}`);
      assembled = r.body;
      break;
    }
    assembled += r.body;
    if (r.body.length < step) break;
  }
  assert.ok(!assembled.includes(VALUE), 'the slices put back together hold the real value');
  assert.match(assembled, /"authorization":"Bearer \*+"/);
  const got = up.received.findLast((x) => x.url.startsWith('/echo-range'));
  assert.equal(got?.headers.range, undefined, 'a Range header reached the bound host');
});

test('a Basic credential echoed back is redacted whatever the user name before the value', async () => {
  const url = `https://api.test:${up.httpsPort}/echo`;
  const leaked: string[] = [];
  for (const user of ['', 'a', 'ab', 'abc']) {
    const basic = Buffer.from(`${user}:${env.GH_TOKEN}`).toString('base64');
    const r = await curl(env, ['-H', `Authorization: Basic ${basic}`, url]);
    assert.equal(r.status, 200, `${r.stderr} ${r.body}`);
    const sent = up.received.findLast((x) => x.url === '/echo')?.headers.authorization ?? '';
    assert.ok(Buffer.from(sent.slice(6), 'base64').toString().includes(VALUE), 'the value was injected');
    const echoed = (JSON.parse(r.body) as { headers: Record<string, string> }).headers.authorization ?? '';
    if (
      Buffer.from(echoed.replace(/^Basic /, ''), 'base64')
        .toString('latin1')
        .includes(VALUE)
    )
      leaked.push(user);
  }
  assert.deepEqual(leaked, [], 'user names whose echoed Basic credential hands back the value');
});
