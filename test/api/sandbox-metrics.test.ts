// GET /v1/metrics/sandboxes against a real daemon: traffic through a real proxy listener is
// counted per sandbox (requests, bytes up and down); a sandbox without a VM has no CPU or memory.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SandboxTraffic } from '../../supervisor/sandboxes/traffic.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let d: TestDaemon;
let up: Upstreams;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon();
});

after(async () => {
  await d?.stop();
  await up?.close();
});

test('each sandbox has its own requests and bytes; host sandboxes have no VM counters', async () => {
  const a = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'), { label: 'a' });
  const b = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'), { label: 'b' });
  for (let i = 0; i < 3; i++)
    assert.equal((await curl(a.env, [`http://127.0.0.1:${up.httpPort}/bytes/1000`])).status, 200);
  assert.equal(
    (await curl(b.env, ['--data-binary', 'x'.repeat(5000), `http://127.0.0.1:${up.httpPort}/echo`])).status,
    200,
  );
  const metrics = await until('the exchanges to end', async () => {
    const m = await d.client.call('GET /v1/metrics/sandboxes');
    const ma = m.sandboxes.find((s) => s.sandboxId === a.listener.sandboxId);
    return ma && ma.bytesDown >= 3000 ? m : undefined;
  });
  const ma = metrics.sandboxes.find((s) => s.sandboxId === a.listener.sandboxId)!;
  const mb = metrics.sandboxes.find((s) => s.sandboxId === b.listener.sandboxId)!;
  assert.equal(ma.requests, 3);
  assert.ok(ma.bytesDown >= 3000 && ma.bytesDown < 6000, String(ma.bytesDown));
  assert.equal(mb.requests, 1);
  assert.ok(mb.bytesUp >= 5000, String(mb.bytesUp));
  assert.equal(ma.kind, 'host');
  assert.equal(ma.cpuSeconds, undefined);
  assert.equal(ma.rssBytes, undefined);
  assert.ok(Math.abs(metrics.time - Date.now()) < 5000);
});

test('a removed sandbox leaves the tally', () => {
  const t = new SandboxTraffic();
  t.record({
    type: 'request.ended',
    id: 'r',
    time: '',
    sandboxId: 's',
    user: 'u',
    method: 'GET',
    scheme: 'http',
    host: 'h',
    port: 80,
    path: '/',
    outcome: 'allowed',
    reason: '',
    bytesUp: 5,
    bytesDown: 7,
    durationMs: 1,
  });
  assert.deepEqual(t.get('s'), { requests: 0, bytesUp: 5, bytesDown: 7 });
  t.record({
    type: 'user.action',
    time: '',
    user: 'u',
    action: 'listener.remove',
    target: 's',
    sandboxId: 's',
  });
  assert.deepEqual(t.get('s'), { requests: 0, bytesUp: 0, bytesDown: 0 });
});
