// The governed proxy end to end: a real daemon, real loopback upstreams, curl and Node's
// fetch (undici ProxyAgent) as clients.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import type { ApprovalView, RequestDecidedEvent } from '../../supervisor/api/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({
    upstreamCa: [up.caPem],
    resolve: { 'api.test': '127.0.0.1', 'evil.test': '127.0.0.1' },
  });
});
after(async () => {
  await d.stop();
  await up.close();
});

const decided = () => d.events.filter((e): e is RequestDecidedEvent => e.type === 'request.decided');

async function waitApproval(sandboxId: string, path: string): Promise<ApprovalView> {
  for (let i = 0; i < 250; i++) {
    const list = await d.client.call('GET /v1/approvals');
    const found = list.find((a) => a.sandboxId === sandboxId && a.path === path);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no approval for ${path}`);
}

describe('plain HTTP through the proxy', () => {
  test('an allowed request reaches the upstream and is recorded with its identity', async () => {
    const { env, listener } = await d.listener(policyYaml(`- match: 127.0.0.1\n  action: allow`));
    const r = await curl(env, [`http://127.0.0.1:${up.httpPort}/hello?x=1`]);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).url, '/hello?x=1');
    const event = await until('decision', () => decided().find((e) => e.sandboxId === listener.sandboxId));
    assert.equal(event.outcome, 'allowed');
    assert.equal(event.user, 'tester');
    assert.equal(event.method, 'GET');
    assert.equal(event.path, '/hello');
    assert.equal(event.address, '127.0.0.1');
    assert.equal(event.query, 'x=1');
    assert.equal(event.rule?.match, '127.0.0.1');
    const ended = await until('its end', () =>
      d.events.find((e) => e.type === 'request.ended' && e.id === event.id),
    );
    assert.ok(ended.type === 'request.ended' && ended.bytesDown > 0 && ended.outcome === 'allowed');
  });

  test('a denied request gets a 403 that says what was blocked, by which rule, and how to allow it', async () => {
    const { env } = await d.listener(
      policyYaml(
        `- match: 127.0.0.1\n  paths: ["/public/**"]\n  action: allow\n- match: 127.0.0.1\n  action: deny\n  description: nothing else`,
      ),
    );
    const r = await curl(env, [`http://127.0.0.1:${up.httpPort}/private/x`]);
    assert.equal(r.status, 403);
    assert.match(r.body, /Warden blocked this request/);
    assert.match(r.body, /GET http:\/\/127\.0\.0\.1:\d+\/private\/x/);
    assert.match(r.body, /project rule 2/);
    assert.match(r.headers, /x-warden-decision: denied; reason="[^"]+"; rule="project rule 2/i);
    assert.equal(up.received.filter((x) => x.url === '/private/x').length, 0, 'never forwarded');
  });

  test('default deny explains the command that would allow it', async () => {
    const { env, listener } = await d.listener(policyYaml(`- match: 10.0.0.0/8\n  action: allow`));
    const r = await curl(env, [`http://127.0.0.1:${up.httpPort}/nope`]);
    assert.equal(r.status, 403);
    assert.match(
      r.body,
      new RegExp(`warden rule add ${listener.sandboxId} --match 127\\.0\\.0\\.1:${up.httpPort}`),
    );
  });
});

describe('approvals', () => {
  test('ask → approve once → allowed; the next identical request asks again', async () => {
    const { env, listener } = await d.listener(policyYaml(`- match: 127.0.0.1\n  action: ask`));
    const url = `http://127.0.0.1:${up.httpPort}/ask-once`;
    const first = curl(env, [url]);
    const approval = await waitApproval(listener.sandboxId, '/ask-once');
    assert.equal(approval.method, 'GET');
    assert.match(approval.reason, /ask/);
    await d.client.call('POST /v1/approvals/:id', {
      params: { id: approval.id },
      body: { decision: 'allow', scope: 'once' },
    });
    assert.equal((await first).status, 200);
    const second = curl(env, [url]);
    const again = await waitApproval(listener.sandboxId, '/ask-once');
    assert.notEqual(again.id, approval.id);
    await d.client.call('POST /v1/approvals/:id', {
      params: { id: again.id },
      body: { decision: 'deny', scope: 'once' },
    });
    const denied = await second;
    assert.equal(denied.status, 403);
    assert.match(denied.body, /tester denied it \(once\)/);
  });

  test('ask → approve always → the next request is not held, and the session layer shows the rule', async () => {
    const { env, listener } = await d.listener(policyYaml(`- match: 127.0.0.1\n  action: ask`));
    const url = `http://127.0.0.1:${up.httpPort}/repos/acme/one`;
    const first = curl(env, [url]);
    const approval = await waitApproval(listener.sandboxId, '/repos/acme/one');
    const answer = await d.client.call('POST /v1/approvals/:id', {
      params: { id: approval.id },
      body: { decision: 'allow', scope: 'always' },
    });
    assert.ok(answer.diff && answer.diff.added.length === 1, 'the diff shows the added rule');
    assert.equal((await first).status, 200);
    const pendingBefore = (await d.client.call('GET /v1/approvals')).length;
    const second = await curl(env, [`http://127.0.0.1:${up.httpPort}/repos/acme/two`]);
    assert.equal(second.status, 200);
    assert.equal((await d.client.call('GET /v1/approvals')).length, pendingBefore);
    const policy = await d.client.call('GET /v1/policy', { query: { sandbox: listener.sandboxId } });
    assert.equal(policy.resolved.rules[0]?.layer, 'session');
    assert.ok(d.events.some((e) => e.type === 'policy.changed' && e.sandboxId === listener.sandboxId));
  });

  test('an unanswered approval times out as a denial that says so', async () => {
    const { env, listener } = await d.listener(
      policyYaml(`- match: 127.0.0.1\n  action: ask`, { timeoutSeconds: 1 }),
    );
    const r = await curl(env, [`http://127.0.0.1:${up.httpPort}/slow-human`]);
    assert.equal(r.status, 403);
    assert.match(r.body, /approval timed out: nobody answered within 1 s/);
    assert.match(r.headers, /x-warden-decision: timed-out/i);
    const e = await until('timed out event', () =>
      decided().find((x) => x.sandboxId === listener.sandboxId && x.outcome === 'timed_out'),
    );
    assert.equal(e.decidedBy, 'approval');
  });
});

describe('HTTPS', () => {
  const httpsPolicy = (extra = '') =>
    policyYaml(`${extra}- match: api.test\n  action: allow\n- match: 127.0.0.1\n  action: allow`);

  test('a host-level allow splices the tunnel; curl verifies the real upstream certificate', async () => {
    const { env, listener } = await d.listener(httpsPolicy());
    const r = await curl({ ...env, SSL_CERT_FILE: up.caFile }, [
      '--cacert',
      up.caFile,
      `https://api.test:${up.httpsPort}/spliced`,
    ]);
    assert.equal(r.status, 200, r.stderr);
    assert.equal(JSON.parse(r.body).secure, true);
    const e = await until('tunnel event', () =>
      decided().find((x) => x.sandboxId === listener.sandboxId && x.method === 'CONNECT'),
    );
    assert.equal(e.intercepted, false);
    assert.equal(e.outcome, 'allowed');
    // The tunnel's end counts what crossed it each way (TLS records, so more than the body).
    const ended = await until('its end', () =>
      d.events.find((x) => x.type === 'request.ended' && x.id === e.id),
    );
    assert.ok(ended.type === 'request.ended');
    assert.ok(ended.bytesDown > r.body.length, `bytesDown ${ended.bytesDown}`);
    assert.ok(ended.bytesUp > 100, `bytesUp ${ended.bytesUp} (at least a ClientHello and the request)`);
  });

  test('a path rule makes the proxy terminate TLS with its own CA and decide each request', async () => {
    const { env, listener } = await d.listener(
      policyYaml(
        `- match: api.test\n  paths: ["/ok/**"]\n  action: allow\n- match: api.test\n  action: deny\n- match: 127.0.0.1\n  action: allow`,
      ),
    );
    const ok = await curl(env, [`https://api.test:${up.httpsPort}/ok/1`]);
    assert.equal(ok.status, 200, ok.stderr);
    const no = await curl(env, [`https://api.test:${up.httpsPort}/secret-stuff`]);
    assert.equal(no.status, 403);
    assert.match(no.body, /Warden blocked this request/);
    const events = decided().filter((x) => x.sandboxId === listener.sandboxId);
    assert.ok(events.some((x) => x.path === '/ok/1' && x.intercepted === true && x.outcome === 'allowed'));
    assert.ok(events.some((x) => x.path === '/secret-stuff' && x.outcome === 'denied'));
  });

  test('a denied CONNECT shows the client the explaining 403 inside the tunnel', async () => {
    const { env } = await d.listener(
      policyYaml(`- match: blocked.test\n  action: deny\n  description: not for agents`),
    );
    const r = await curl(env, ['https://blocked.test/']);
    assert.equal(r.status, 403, r.stderr);
    assert.match(r.body, /blocked\.test/);
    assert.match(r.headers, /x-warden-decision: denied/i);
  });

  test("Node's fetch through a proxy agent: allowed, then denied", async () => {
    const { env } = await d.listener(
      policyYaml(`- match: api.test\n  methods: [GET]\n  action: allow\n- match: 127.0.0.1\n  action: allow`),
    );
    const dispatcher = new ProxyAgent({ uri: env.HTTPS_PROXY!, requestTls: { ca: [d.daemon.ca.certPem] } });
    try {
      const ok = await undiciFetch(`https://api.test:${up.httpsPort}/fetch`, { dispatcher });
      assert.equal(ok.status, 200);
      assert.equal(((await ok.json()) as { url: string }).url, '/fetch');
      const no = await undiciFetch(`https://api.test:${up.httpsPort}/fetch`, {
        dispatcher,
        method: 'POST',
        body: 'x',
      });
      assert.equal(no.status, 403);
      assert.match(no.headers.get('x-warden-decision') ?? '', /^denied/);
      assert.match(await no.text(), /POST https:\/\/api\.test:\d+\/fetch/);
    } finally {
      await dispatcher.close();
    }
  });
});

describe('SSRF', () => {
  test('a name resolving to 127.0.0.1 is denied by default, allowed only by a rule naming the address', async () => {
    const blocked = await d.listener(policyYaml(`- match: evil.test\n  action: allow`));
    const r = await curl(blocked.env, [`http://evil.test:${up.httpPort}/metadata`]);
    assert.equal(r.status, 403);
    assert.match(r.body, /evil\.test resolves to 127\.0\.0\.1, a loopback address/);
    const allowed = await d.listener(
      policyYaml(`- match: evil.test\n  action: allow\n- match: 127.0.0.1/32\n  action: allow`),
    );
    const ok = await curl(allowed.env, [`http://evil.test:${up.httpPort}/metadata`]);
    assert.equal(ok.status, 200);
  });
});
