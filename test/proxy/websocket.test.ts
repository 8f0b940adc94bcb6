// WebSocket upgrades are governed like any request: allowed ones are spliced both ways,
// denied ones get the explaining 403.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import { HttpsProxyAgentLike } from '../support/ws-proxy.ts';

let up: Upstreams;
let d: TestDaemon;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'api.test': '127.0.0.1' } });
});
after(async () => {
  await d.stop();
  await up.close();
});

test('wss through an intercepted tunnel: allowed path echoes, other path refused with 403', async () => {
  const { env, listener } = await d.listener(
    policyYaml(
      `- match: api.test\n  paths: ["/ws"]\n  action: allow\n- match: api.test\n  action: deny\n- match: 127.0.0.1\n  action: allow`,
    ),
  );
  const agent = new HttpsProxyAgentLike(env.HTTPS_PROXY!, d.daemon.ca.certPem);
  const reply = await agent.exchange(`wss://api.test:${up.httpsPort}/ws`, 'hello');
  assert.equal(reply, 'echo:hello');
  await assert.rejects(agent.exchange(`wss://api.test:${up.httpsPort}/ws-other`, 'x'), /403/);
  const e = await until('ws event', () =>
    d.events.find(
      (x) =>
        x.type === 'request.decided' &&
        x.sandboxId === listener.sandboxId &&
        x.scheme === 'wss' &&
        x.outcome === 'allowed',
    ),
  );
  assert.equal(e.type, 'request.decided');
});

test('ws through a spliced CONNECT tunnel', async () => {
  const { env } = await d.listener(policyYaml(`- match: 127.0.0.1\n  action: allow`));
  const agent = new HttpsProxyAgentLike(env.HTTP_PROXY!, d.daemon.ca.certPem);
  assert.equal(await agent.exchange(`ws://127.0.0.1:${up.httpPort}/ws`, 'plain'), 'echo:plain');
});
