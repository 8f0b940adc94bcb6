// The approvals inbox from the attacker's side: a local client claiming to be the hub or the
// reviewer hook, a forged or doubled client header, a bogus state filter, revoking what is
// not an "always" answer (or twice, or still waiting), answering twice; and reviewer hook
// configurations that would reach the network in clear, carry credentials or use a shell.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { checkReviewerHook } from '../../supervisor/approvals/index.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

let up: Upstreams;
let d: TestDaemon;
let token: string;

before(async () => {
  up = await startUpstreams();
  d = await startTestDaemon({ label: 'hostile-inbox' });
  token = (await readFile(d.daemon.paths.tokenFile, 'utf8')).trim();
});
after(async () => {
  await d.stop();
  await up.close();
});

/** curl against the API over its socket with extra headers; status and parsed body. */
async function api(method: string, path: string, headers: string[], body?: string) {
  const args = ['-sS', '-w', '\n%{http_code}', '--unix-socket', d.daemon.paths.socket, '-X', method];
  args.push('-H', `Authorization: Bearer ${token}`);
  for (const h of headers) args.push('-H', h);
  if (body !== undefined) args.push('-H', 'content-type: application/json', '--data', body);
  const { stdout } = await promisify(execFile)('curl', [...args, `http://warden${path}`]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), json: JSON.parse(stdout.slice(0, cut) || 'null') };
}

async function heldOne(path: string) {
  const { env, listener } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: ask'));
  const request = curl(env, [`http://127.0.0.1:${up.httpPort}${path}`]);
  const approval = await until('the held request', async () =>
    (await d.client.call('GET /v1/approvals')).find((a) => a.sandboxId === listener.sandboxId),
  );
  return { approval, request, env };
}

test('a local client cannot claim to be the hub or the reviewer hook, nor forge a label', async () => {
  const { approval, request } = await heldOne('/claims');
  const answer = '{"decision":"allow","scope":"once"}';
  for (const claim of ['hub', 'reviewer-hook', 'Desktop', 'desk top', 'x'.repeat(500), 'cli, desktop']) {
    const r = await api('POST', `/v1/approvals/${approval.id}`, [`X-Warden-Client: ${claim}`], answer);
    assert.equal(r.status, 400, `refused: ${JSON.stringify(claim.slice(0, 20))}`);
    assert.equal(r.json.error.name, 'BadRequest');
    assert.ok(r.json.error.message.length < 200, 'the echoed label is cut');
  }
  // Two headers are joined by Node into a list: refused too.
  const doubled = await api(
    'POST',
    `/v1/approvals/${approval.id}`,
    ['X-Warden-Client: cli', 'X-Warden-Client: desktop'],
    answer,
  );
  assert.equal(doubled.status, 400);
  assert.equal(
    (await d.client.call('GET /v1/approvals')).length,
    1,
    'still waiting: no refused call answered it',
  );
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: approval.id },
    body: { decision: 'deny', scope: 'once' },
  });
  assert.equal((await request).status, 403);
});

test('a bogus state filter is refused with the list of states', async () => {
  const r = await api('GET', '/v1/approvals?state=everything', []);
  assert.equal(r.status, 400);
  assert.match(r.json.error.hint, /pending, answered, expired, cancelled, all/);
});

test('only an "always" answer can be revoked, once; a waiting approval and an unknown id cannot', async () => {
  const { approval, request } = await heldOne('/revoke-once');
  const pending = await api('POST', `/v1/approvals/${approval.id}/revoke`, []);
  assert.equal(pending.status, 409);
  assert.match(pending.json.error.message, /still waiting: answer it instead/);
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: approval.id },
    body: { decision: 'allow', scope: 'once' },
  });
  await request;
  const once = await api('POST', `/v1/approvals/${approval.id}/revoke`, []);
  assert.equal(once.status, 409);
  assert.match(once.json.error.message, /no "always" answer to revoke/);
  const unknown = await api('POST', '/v1/approvals/not-an-id/revoke', []);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.name, 'ApprovalNotFound');
});

test('a revoked rule that another answer replaced is not removed twice', async () => {
  const { approval, request, env } = await heldOne('/replaced');
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: approval.id },
    body: { decision: 'allow', scope: 'always' },
  });
  await request;
  // Someone else writes the same rule as a deny: the allow the answer wrote is gone.
  await d.client.call('POST /v1/sandboxes/:sandboxId/rules', {
    params: { sandboxId: approval.sandboxId },
    body: { rule: approval.suggestedRule, action: 'deny' },
  });
  const revoked = await d.client.call('POST /v1/approvals/:id/revoke', { params: { id: approval.id } });
  assert.equal(revoked.revoked?.ruleRemoved, false);
  assert.equal((await curl(env, [`http://127.0.0.1:${up.httpPort}/replaced`])).status, 403, 'the deny stays');
});

test('reviewer hook configurations that would leak or run a shell are refused', () => {
  const refused: Array<[Parameters<typeof checkReviewerHook>[0], RegExp]> = [
    [{ url: 'http://review.example.com/hook' }, /must be HTTPS/],
    [{ url: 'http://10.0.0.5/hook' }, /must be HTTPS/],
    [{ url: 'file:///etc/passwd' }, /must be HTTPS/],
    [{ url: 'https://user:pw@review.example.com/' }, /carries credentials/],
    [{ url: 'not a url' }, /is not a URL/],
    [{ command: [] }, /non-empty array/],
    [{ command: 'sh -c review' as unknown as string[] }, /non-empty array/],
    [{ command: ['review\u0000x'] }, /non-empty array/],
    [{ command: ['/bin/true'], timeoutMs: 0 }, /out of range/],
    [{ command: ['/bin/true'], timeoutMs: 10 * 60_000 }, /out of range/],
  ];
  for (const [config, why] of refused) assert.throws(() => checkReviewerHook(config), why);
  assert.deepEqual(checkReviewerHook({ url: 'http://127.0.0.1:9/x' }), {
    url: 'http://127.0.0.1:9/x',
    timeoutMs: 10_000,
  });
  assert.ok('url' in checkReviewerHook({ url: 'https://review.example.com/' }));
});
