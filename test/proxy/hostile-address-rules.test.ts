// A rule that names an address with methods and paths allows only those: the check of the
// address connected to (after DNS) applies the whole rule, never just its address, whether
// the request names the address itself or a name that resolves to it, under `*` or under
// `default: allow`, and through a CONNECT tunnel too (which must then be read, not spliced).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'svc.test': '127.0.0.1' } });
});
after(async () => {
  await d?.stop();
  await up?.close();
});

const ADDRESS_RULE = ['- match: 127.0.0.1', '  methods: [GET]', '  paths: ["/api/**"]', '  action: allow'];

const POLICIES: Array<[string, string]> = [
  ['under "*"', policyYaml([...ADDRESS_RULE, '- match: "*"', '  action: allow'].join('\n'))],
  ['under default: allow', policyYaml(ADDRESS_RULE.join('\n'), { default: 'allow' })],
];

for (const [label, yaml] of POLICIES) {
  describe(`an address rule for GET /api/** ${label}`, () => {
    let env: Record<string, string>;
    before(async () => {
      env = (await d.listener(yaml)).env;
    });

    for (const host of ['127.0.0.1', 'svc.test']) {
      test(`plain HTTP to ${host}: GET /api/x passes, POST /api/x and GET /other are refused`, async () => {
        const base = `http://${host}:${up.httpPort}`;
        const ok = await curl(env, [`${base}/api/x`]);
        assert.equal(ok.status, 200, ok.body);
        const before = up.received.length;
        const post = await curl(env, ['-X', 'POST', '--data', 'x=1', `${base}/api/x`]);
        assert.equal(post.status, 403, post.body);
        assert.match(post.body, /loopback address/);
        const other = await curl(env, [`${base}/other`]);
        assert.equal(other.status, 403, other.body);
        assert.equal(up.received.length, before, 'nothing refused reached the upstream');
      });

      test(`a CONNECT tunnel to ${host}: read and decided per request, not spliced`, async () => {
        // --proxytunnel: curl opens a CONNECT tunnel and speaks plain HTTP inside it.
        const base = `http://${host}:${up.httpPort}`;
        const ok = await curl(env, ['--proxytunnel', `${base}/api/x`]);
        assert.equal(ok.status, 200, `${ok.stderr} ${ok.body}`);
        const before = up.received.length;
        const post = await curl(env, ['--proxytunnel', '-X', 'POST', '--data', 'x=1', `${base}/api/x`]);
        assert.equal(post.status, 403, `${post.stderr} ${post.body}`);
        const other = await curl(env, ['--proxytunnel', `${base}/other`]);
        assert.equal(other.status, 403, `${other.stderr} ${other.body}`);
        assert.equal(up.received.length, before, 'nothing refused reached the upstream');
      });
    }
  });
}

describe('a human approval and special addresses', () => {
  // default: ask, and an address rule for other paths only: the human is asked about /held.
  const yaml = policyYaml(ADDRESS_RULE.join('\n'), { default: 'ask' });

  async function approveNext(sandboxId: string, path: string): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const pending = await d.client.call('GET /v1/approvals');
      const a = pending.find((p) => p.sandboxId === sandboxId && p.path === path);
      if (a) {
        await d.client.call('POST /v1/approvals/:id', {
          params: { id: a.id },
          body: { decision: 'allow', scope: 'once' },
        });
        return;
      }
      if (Date.now() > deadline) throw new Error(`no approval for ${path}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test('approving a request written with the loopback address lets that request through', async () => {
    const { env, listener } = await d.listener(yaml);
    const held = curl(env, [`http://127.0.0.1:${up.httpPort}/held`]);
    await approveNext(listener.sandboxId, '/held');
    const r = await held;
    assert.equal(r.status, 200, r.body);
  });

  test('approving a name that resolves to loopback does not open the address (the card showed the name)', async () => {
    const { env, listener } = await d.listener(yaml);
    const before = up.received.length;
    const held = curl(env, [`http://svc.test:${up.httpPort}/held`]);
    await approveNext(listener.sandboxId, '/held');
    const r = await held;
    assert.equal(r.status, 403, r.body);
    assert.match(r.body, /resolves to 127\.0\.0\.1/);
    assert.equal(up.received.length, before);
  });

  test('approving a request to the metadata address does not open it', async () => {
    const { env, listener } = await d.listener(yaml);
    const held = curl(env, ['--max-time', '10', 'http://169.254.169.254/latest/meta-data/']);
    await approveNext(listener.sandboxId, '/latest/meta-data/');
    const r = await held;
    assert.equal(r.status, 403, r.body);
    assert.match(r.body, /metadata/);
  });
});
