import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { ApprovalView } from '../api/index.ts';
import { REVIEW_CONCURRENCY, ReviewerHook } from './reviewer-hook.ts';

const approval: ApprovalView = {
  id: 'ap-1',
  sandboxId: 'sb-1',
  user: 'dev',
  createdAt: '2026-12-07T00:00:00.000Z',
  expiresAt: '2026-12-07T00:01:00.000Z',
  method: 'GET',
  scheme: 'https',
  host: 'api.test',
  port: 443,
  path: '/x',
  reason: 'no rule matches',
  rule: null,
  suggestedRule: { match: 'api.test' },
  waiting: 1,
  state: 'reviewing',
};

/** A hook that runs `script` with node (reads stdin as `input`). */
const node = (script: string, timeoutMs = 10_000) =>
  new ReviewerHook({
    command: [
      process.execPath,
      '-e',
      `let input='';process.stdin.on('data',c=>input+=c).on('end',()=>{${script}})`,
    ],
    timeoutMs,
  });

test('a command reads the approval on stdin and its verdict is taken as given', async () => {
  const hook = node(
    `const a=JSON.parse(input).approval;console.log(JSON.stringify({decision:'allow',reason:a.host+a.path}))`,
  );
  assert.deepEqual(await hook.review(approval), { decision: 'allow', reason: 'api.test/x' });
  assert.deepEqual(await node(`console.log('{"decision":"ask"}')`).review(approval), { decision: 'ask' });
});

test('a command that fails denies, saying how', async () => {
  // Node's start-up under a loaded machine can take a while: only the timeout case is short.
  const cases: Array<[string, RegExp, number]> = [
    ['process.exit(2)', /exit code 2/, 10_000],
    ['console.log("yes")', /is not JSON/, 10_000],
    ['console.log(JSON.stringify({decision:"maybe"}))', /is not \{"decision"/, 10_000],
    ['setTimeout(()=>{}, 10000)', /no answer within 300 ms/, 300],
  ];
  for (const [script, why, timeoutMs] of cases) {
    const out = await node(script, timeoutMs).review(approval);
    assert.equal(out.decision, 'deny');
    assert.equal(out.failed, true);
    assert.match(out.reason ?? '', why);
  }
  const missing = await new ReviewerHook({ command: ['/nonexistent/review'] }).review(approval);
  assert.match(missing.reason ?? '', /could not start \/nonexistent\/review: ENOENT/);
});

test('reviews beyond the concurrency limit wait their turn', async () => {
  const hook = node(`setTimeout(()=>console.log('{"decision":"deny"}'), 150)`);
  const started = Date.now();
  const all = await Promise.all(Array.from({ length: REVIEW_CONCURRENCY + 1 }, () => hook.review(approval)));
  assert.ok(all.every((o) => o.decision === 'deny' && !o.failed));
  assert.ok(Date.now() - started >= 300, 'the fifth ran after one of the first four');
});

test('a loopback webhook gets the approval as the POST body', async () => {
  let got = '';
  const server = http.createServer((req, res) => {
    req.on('data', (c) => {
      got += c;
    });
    req.on('end', () => res.end('{"decision":"deny","reason":"not today"}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const hook = new ReviewerHook({ url: `http://127.0.0.1:${port}/r` });
    assert.deepEqual(await hook.review(approval), { decision: 'deny', reason: 'not today' });
    assert.equal(JSON.parse(got).approval.id, 'ap-1');
    assert.equal(hook.describe, `webhook http://127.0.0.1:${port}/r`);
  } finally {
    server.close();
  }
});

test('an approval that closes first stops its review: a waiting turn is skipped, a run is killed', async () => {
  const hook = node(`setTimeout(()=>console.log('{"decision":"allow"}'), 5000)`, 10_000);
  const closed = new AbortController();
  const started = Date.now();
  const running = hook.review(approval, closed.signal);
  setTimeout(() => closed.abort(), 100);
  const out = await running;
  assert.equal(out.decision, 'deny');
  assert.match(out.reason ?? '', /the approval closed first/);
  assert.ok(Date.now() - started < 2000, 'not left to run to its end');
  const gone = new AbortController();
  gone.abort();
  assert.match((await hook.review(approval, gone.signal)).reason ?? '', /closed first/);
});
