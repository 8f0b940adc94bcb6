// The reviewer hook with a real daemon and curl held on a request: a command (argv, no shell)
// and a loopback webhook see each approval first. allow and deny settle it with client
// `reviewer-hook` and the hook's reason on the record; ask shows it to the humans; a timeout,
// a crash, a signal, garbage, too much output or an unknown field all deny (fail closed).

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const hookScript = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../support/approvals/reviewer-hook.mjs',
);
const askAll = policyYaml('- match: 127.0.0.1\n  action: ask', { timeoutSeconds: 30 });
const SECRET_ENV = 'WARDEN_TEST_REVIEWER_SECRET';

let up: Upstreams;
before(async () => {
  up = await startUpstreams();
});
after(async () => {
  await up.close();
});

/** The hook's answer as the daemon recorded it, and what curl got. */
async function run(d: TestDaemon, env: Record<string, string>, p: string) {
  const started = Date.now();
  const result = await curl(env, [`http://127.0.0.1:${up.httpPort}${p}`]);
  const ms = Date.now() - started;
  const answered = d.events.find((e) => e.type === 'approval.answered' && e.path === p);
  return {
    status: result.status,
    body: result.body,
    ms,
    answered: answered?.type === 'approval.answered' ? answered : undefined,
  };
}

describe('a reviewer command', () => {
  let d: TestDaemon;
  let env: Record<string, string>;
  let sandboxId: string;
  before(async () => {
    process.env[SECRET_ENV] = 'hunter2-reviewer';
    d = await startTestDaemon({
      label: 'reviewed',
      daemon: { reviewerHook: { command: [process.execPath, hookScript], timeoutMs: 3000 } },
    });
    const l = await d.listener(askAll);
    env = l.env;
    sandboxId = l.listener.sandboxId;
  });
  after(async () => {
    delete process.env[SECRET_ENV];
    await d.stop();
  });

  test('allowing: the request goes through, no human is asked, the record names the hook and its reason', async () => {
    const r = await run(d, env, '/allow');
    assert.equal(r.status, 200);
    assert.equal(r.answered?.client, 'reviewer-hook');
    assert.equal(r.answered?.by, 'reviewer-hook');
    assert.equal(r.answered?.reason, 'the team allows 127.0.0.1');
    assert.ok(
      !d.events.some((e) => e.type === 'approval.pending' && e.approval.path === '/allow'),
      'no card shown',
    );
    const record = await until('the audit record', async () => {
      const page = await d.client.call('GET /v1/audit', { query: { kind: 'approval.answered' } });
      return page.records.find(
        (x) => (x.ocsf.unmapped as { approval_id?: string }).approval_id === r.answered?.approvalId,
      );
    });
    assert.equal((record.ocsf.unmapped as Record<string, unknown>).answered_client, 'reviewer-hook');
    const history = await d.client.call('GET /v1/approvals', { query: { state: 'answered' } });
    assert.equal(history.find((a) => a.path === '/allow')?.answer?.client, 'reviewer-hook');
  });

  test('denying: refused with the reason the hook gave', async () => {
    const r = await run(d, env, '/deny');
    assert.equal(r.status, 403);
    assert.equal(r.answered?.decision, 'deny');
    assert.match(r.body, /uploads are not allowed/);
  });

  test('ask: the humans see it as today', async () => {
    const request = curl(env, [`http://127.0.0.1:${up.httpPort}/ask`]);
    const approval = await until('the card', async () =>
      (await d.client.call('GET /v1/approvals')).find((a) => a.path === '/ask'),
    );
    assert.equal(approval.state, 'pending');
    await d.client.call('POST /v1/approvals/:id', {
      params: { id: approval.id },
      body: { decision: 'allow', scope: 'once' },
    });
    assert.equal((await request).status, 200);
    const view = await d.client.call('GET /v1/sandboxes/:sandboxId', { params: { sandboxId } });
    assert.equal(view.promptsLastHour, 1, 'only the prompt a human saw counts');
  });

  for (const [p, why] of [
    ['/slow', /no answer within 3000 ms/],
    ['/crash', /exit code 3/],
    ['/signal', /killed by SIGKILL/],
    ['/garbage', /its output is not JSON/],
    ['/flood', /printed more than 65536 bytes/],
    ['/extra', /is not \{"decision"/],
    ['/orphan', /no answer within 3000 ms/],
  ] as const) {
    test(`a hook that fails (${p}) denies, with the reason recorded`, async () => {
      const r = await run(d, env, p);
      assert.equal(r.status, 403);
      assert.equal(r.answered?.decision, 'deny');
      assert.equal(r.answered?.client, 'reviewer-hook');
      assert.match(r.answered?.reason ?? '', why);
      assert.match(r.answered?.reason ?? '', /^reviewer hook failed/);
      assert.ok(r.ms < 8000, `decided within the deadline (${r.ms} ms)`);
    });
  }

  test('the hook gets a scrubbed environment: no Warden variables, no secrets', async () => {
    const r = await run(d, env, '/env');
    const reason = r.answered?.reason ?? '';
    assert.match(reason, /^leaked=false; keys=.*PATH/);
    assert.doesNotMatch(reason, /WARDEN|hunter2/);
  });
});

describe('a reviewer webhook on loopback', () => {
  let d: TestDaemon;
  let env: Record<string, string>;
  let hook: http.Server;
  const bodies: string[] = [];
  before(async () => {
    hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        bodies.push(body);
        const p = JSON.parse(body).approval.path as string;
        if (p === '/hang') return;
        if (p === '/redirect') return res.writeHead(302, { location: 'http://127.0.0.1:1/' }).end();
        if (p === '/error') return res.writeHead(500).end('{"decision":"allow"}');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            p === '/allow' ? { decision: 'allow', reason: 'ok by webhook' } : { decision: 'deny' },
          ),
        );
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const port = (hook.address() as AddressInfo).port;
    d = await startTestDaemon({
      label: 'webhooked',
      daemon: { reviewerHook: { url: `http://127.0.0.1:${port}/review`, timeoutMs: 1000 } },
    });
    env = (await d.listener(askAll)).env;
  });
  after(async () => {
    await d.stop();
    hook.closeAllConnections();
    await new Promise((r) => hook.close(r));
  });

  test('allows and denies; the POST body is the pending approval', async () => {
    const allowed = await run(d, env, '/allow');
    assert.equal(allowed.status, 200);
    assert.equal(allowed.answered?.reason, 'ok by webhook');
    const sent = JSON.parse(bodies.find((b) => b.includes('"/allow"')) ?? '{}');
    assert.equal(sent.version, 1);
    assert.equal(sent.approval.host, '127.0.0.1');
    assert.equal(sent.approval.state, 'reviewing');
    const denied = await run(d, env, '/other');
    assert.equal(denied.status, 403);
    assert.equal(denied.answered?.reason, 'the reviewer hook answered deny');
  });

  for (const [p, why] of [
    ['/hang', /no answer within 1000 ms/],
    ['/redirect', /HTTP status 302/],
    ['/error', /HTTP status 500/],
  ] as const) {
    test(`a webhook that fails (${p}) denies`, async () => {
      const r = await run(d, env, p);
      assert.equal(r.status, 403);
      assert.match(r.answered?.reason ?? '', why);
    });
  }
});
