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
