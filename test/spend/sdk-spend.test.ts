// Model spend with the official SDKs as the real clients (@anthropic-ai/sdk, openai), through
// a real daemon's listener with TLS interception, against stand-ins of the two providers'
// APIs on loopback (test/support/model-spend-stubs.ts): the usage of each answer, streamed
// or not, lands on the request's `request.ended` (and its OCSF record) and in
// `GET /v1/spend`; a stream cut in the middle records what was seen and says so; a budget
// reached is refused with a 429 in the provider's error shape, which the SDK throws.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { RequestEndedEvent, RequestUsage } from '../../supervisor/api/index.ts';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { modelSdks } from '../support/model-sdk-clients.ts';
import { type SpendStub, startSpendStub } from '../support/model-spend-stubs.ts';

let d: TestDaemon;
let stub: SpendStub;
let caDir: string;
let stubCaPem: string;

const policy = (extra = '') =>
  [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata:',
    '  name: spend',
    'spec:',
    '  network:',
    '    default: deny',
    '    rules:',
    '      - match: models.test',
    '        action: allow',
    '        tls: inspect',
    '      - match: 127.0.0.1/32',
    '        action: allow',
    '  budgets:',
    '    hosts: [models.test]',
    '    prices:',
    '      - { model: stub-claude, input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }',
    '      - { model: stub-gpt, input: 2, output: 8, cacheRead: 0.5 }',
    extra,
    '',
  ].join('\n');

before(async () => {
  caDir = await mkdtemp(path.join(os.tmpdir(), 'warden-spend-ca-'));
  const ca = await CertificateAuthority.loadOrCreate(caDir);
  stubCaPem = ca.certPem;
  stub = await startSpendStub(ca);
  d = await startTestDaemon({ upstreamCa: [ca.certPem], resolve: { 'models.test': '127.0.0.1' } });
});

after(async () => {
  await d?.stop();
  await stub?.close();
  await rm(caDir, { recursive: true, force: true });
});

async function clients(extraPolicy = '') {
  const { env, listener } = await d.listener(policy(extraPolicy));
  return {
    sandboxId: listener.sandboxId,
    ...modelSdks(env.HTTPS_PROXY as string, d.daemon.ca.certPem, stub.port),
  };
}

/** The usage records of a sandbox, waiting until there are `n`. */
async function usages(sandboxId: string, n: number): Promise<RequestUsage[]> {
  const ended = await until(`${n} metered request.ended`, () => {
    const list = d.events.filter(
      (e): e is RequestEndedEvent & { usage: RequestUsage } =>
        e.type === 'request.ended' && e.sandboxId === sandboxId && e.usage !== undefined,
    );
    return list.length >= n ? list : undefined;
  });
  return ended.map((e) => e.usage);
}

test('the usage of each API, streamed or not, is read, priced and shown in GET /v1/spend', async () => {
  stub.mode = 'normal';
  const { sandboxId, anthropic, openai } = await clients();
  const params = {
    model: 'stub-claude-1',
    max_tokens: 50,
    messages: [{ role: 'user' as const, content: 'hi' }],
  };
  const msg = await anthropic.messages.create(params);
  assert.equal(msg.usage.output_tokens, 45);
  const stream = anthropic.messages.stream(params);
  assert.equal((await stream.finalMessage()).usage.output_tokens, 45);
  const chat = await openai.chat.completions.create({
    model: 'stub-gpt-1',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(chat.choices[0]?.message.content, 'hello');
  const chunks = await openai.chat.completions.create({
    model: 'stub-gpt-1',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  for await (const _ of chunks) {
  }
  const resp = await openai.responses.create({ model: 'stub-gpt-2', input: 'hi' });
  assert.equal(resp.output_text, 'hello');
  const events = await openai.responses.create({ model: 'stub-gpt-2', input: 'hi', stream: true });
  for await (const _ of events) {
  }

  const got = await usages(sandboxId, 6);
  const claude = {
    api: 'anthropic.messages',
    model: 'stub-claude-1',
    inputTokens: 120,
    outputTokens: 45,
    cacheReadTokens: 30,
    cacheWriteTokens: 10,
  };
  // 120×3 + 45×15 + 30×0.3 + 10×3.75 = 1081.5 micro-dollars
  assert.deepEqual(got[0], { ...claude, costUsd: 0.001082 });
  assert.deepEqual(got[1], { ...claude, costUsd: 0.001082 }, 'the stream: message_start, then message_delta');
  const gpt = {
    api: 'openai.chat',
    model: 'stub-gpt-1',
    inputTokens: 150,
    outputTokens: 60,
    cacheReadTokens: 50,
    cacheWriteTokens: 0,
  };
  // 150×2 + 60×8 + 50×0.5 = 805
  assert.deepEqual(got[2], { ...gpt, costUsd: 0.000805 });
  assert.deepEqual(got[3], { ...gpt, costUsd: 0.000805 }, 'the include_usage chunk');
  const r = {
    api: 'openai.responses',
    model: 'stub-gpt-2',
    inputTokens: 200,
    outputTokens: 70,
    cacheReadTokens: 100,
    cacheWriteTokens: 0,
  };
  // 200×2 + 70×8 + 100×0.5 = 1010
  assert.deepEqual(got[4], { ...r, costUsd: 0.00101 });
  assert.deepEqual(got[5], { ...r, costUsd: 0.00101 }, 'response.completed');
  assert.ok(
    stub.acceptEncodings.slice(-6).every((a) => a === 'identity'),
    'the answer was asked for uncompressed',
  );

  const view = await d.client.call('GET /v1/spend');
  const mine = view.sandboxes.find((s) => s.sandboxId === sandboxId);
  assert.ok(mine, 'the sandbox is in GET /v1/spend');
  assert.equal(mine.models.length, 3);
  assert.equal(mine.today.tokens, 2 * (205 + 260 + 370));
  assert.equal(
    mine.month.costUsd,
    0.005794,
    'the sum of the priced requests: 2 × (0.001082 + 0.000805 + 0.00101)',
  );
  const claudeRow = mine.models.find((m) => m.model === 'stub-claude-1');
  assert.equal(claudeRow?.requests, 2);

  // `warden spend` as a user runs it, against this daemon.
  const cli = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url)), 'spend', '--sandbox', sandboxId],
      { env: { ...process.env, WARDEN_HOME: d.home }, timeout: 60_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  assert.match(cli, new RegExp(`${sandboxId} +stub-claude-1 +2 +240 +80 +90 +\\$0\\.0022`));
  assert.match(cli, /today 1670 tokens \$0\.0058/);

  // The audit keeps it: the OCSF record's unmapped.usage.
  type Unmapped = { usage?: Record<string, unknown> };
  const audited = await until('the audit records', async () => {
    const page = await d.client.call('GET /v1/audit', {
      query: { sandbox: sandboxId, kind: 'request.ended' },
    });
    const found = page.records
      .map((rec) => (rec.ocsf as unknown as { unmapped?: Unmapped }).unmapped?.usage)
      .filter((u) => u !== undefined);
    return found.length >= 6 ? found : undefined;
  });
  assert.equal(audited.length, 6);
  assert.ok(
    audited.some(
      (u) => u?.model === 'stub-claude-1' && u.cache_read_tokens === 30 && u.cost_usd === 0.001082,
    ),
  );
});

test('a stream cut in the middle records what was seen and says it was cut', async () => {
  stub.mode = 'cut';
  const { sandboxId, anthropic, openai } = await clients();
  const stream = anthropic.messages.stream({
    model: 'stub-claude-1',
    max_tokens: 5,
    messages: [{ role: 'user', content: 'x' }],
  });
  await assert.rejects(stream.finalMessage());
  const chunks = await openai.chat.completions.create({
    model: 'stub-gpt-1',
    messages: [{ role: 'user', content: 'x' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  await assert.rejects(async () => {
    for await (const _ of chunks) {
    }
  });
  stub.mode = 'normal';
  const [claude, gpt] = await usages(sandboxId, 2);
  assert.equal(claude?.inputTokens, 120, 'message_start was seen');
  assert.equal(claude?.outputTokens, 1, 'message_delta never came');
  assert.match(claude?.incomplete ?? '', /cut/);
  assert.equal(gpt?.inputTokens, 0);
  assert.match(gpt?.incomplete ?? '', /cut/);
});

test('an answer compressed although identity was asked for is decoded on the side', async () => {
  stub.mode = 'gzip';
  const { sandboxId, anthropic } = await clients();
  try {
    const msg = await anthropic.messages.create({
      model: 'stub-claude-1',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
    });
    assert.equal(msg.usage.input_tokens, 120);
    const stream = anthropic.messages.stream({
      model: 'stub-claude-1',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
    });
    await stream.finalMessage();
  } finally {
    stub.mode = 'normal';
  }
  const got = await usages(sandboxId, 2);
  for (const u of got) {
    assert.equal(u.outputTokens, 45);
    assert.equal(u.incomplete, undefined);
  }
});

test('a budget reached: the SDKs throw the provider-shaped 429, and the stub is not asked', async () => {
  stub.mode = 'normal';
  const { sandboxId, anthropic, openai } = await clients(
    '    limits:\n      - { per: day, tokens: 200, action: deny }',
  );
  await anthropic.messages.create({
    model: 'stub-claude-1',
    max_tokens: 5,
    messages: [{ role: 'user', content: 'x' }],
  });
  await usages(sandboxId, 1);
  const asked = stub.acceptEncodings.length;
  const refused = await anthropic.messages
    .create({ model: 'stub-claude-1', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
    .then(
      () => assert.fail('the request over budget went through'),
      (e: unknown) => e,
    );
  assert.ok(
    refused instanceof Anthropic.RateLimitError,
    `an Anthropic RateLimitError, got ${String(refused)}`,
  );
  assert.equal(refused.status, 429);
  assert.equal((refused.error as { error: { type: string } }).error.type, 'rate_limit_error');
  assert.match(refused.message, /budget of 200 tokens per day is used up \(205 tokens today/);
  // Over the same budget, OpenAI's SDK gets OpenAI's shape.
  await openai.chat.completions
    .create({ model: 'stub-gpt-1', messages: [{ role: 'user', content: 'x' }] })
    .then(
      () => assert.fail('went through'),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.RateLimitError, `an OpenAI RateLimitError, got ${String(e)}`);
        assert.equal(e.code, 'warden_budget_exceeded');
      },
    );
  assert.equal(stub.acceptEncodings.length, asked, 'the refused requests never reached the stand-in');
  const decided = d.events.find(
    (e) =>
      e.type === 'request.decided' && e.sandboxId === sandboxId && e.status === 429 && e.outcome === 'denied',
  );
  assert.ok(decided, 'the refusal is in the audit as a denied request');
});

/** The budget approval of a sandbox, once it is shown. */
async function budgetApproval(sandboxId: string) {
  return until('a budget approval', async () =>
    (await d.client.call('GET /v1/approvals')).find(
      (a) => a.sandboxId === sandboxId && a.budget !== undefined,
    ),
  );
}

test('a budget with action ask: the card says which budget; allow once lets the SDK call through', async () => {
  stub.mode = 'normal';
  const { sandboxId, anthropic } = await clients(
    '    limits:\n      - { per: day, tokens: 100, action: ask }',
  );
  const ask = () =>
    anthropic.messages.create({
      model: 'stub-claude-1',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'x' }],
    });
  await ask();
  await usages(sandboxId, 1);
  const held = ask();
  const card = await budgetApproval(sandboxId);
  assert.deepEqual(card.budget, {
    api: 'anthropic.messages',
    per: 'day',
    limitTokens: 100,
    spent: { tokens: 205, costUsd: 0.001082 },
    models: ['stub-claude-1'],
  });
  assert.match(card.reason, /budget of 100 tokens per day is used up/);
  await assert.rejects(
    d.client.call('POST /v1/approvals/:id', {
      params: { id: card.id },
      body: { decision: 'allow', scope: 'always' },
    }),
    /answered once only/,
  );
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: card.id },
    body: { decision: 'allow', scope: 'once' },
  });
  const msg = await held;
  assert.equal(msg.usage.output_tokens, 45, 'the held call went through and was answered');
  const got = await usages(sandboxId, 2);
  assert.equal(got.length, 2, 'the allowed call was metered too');
  const mine = (await d.client.call('GET /v1/spend')).sandboxes.find((s) => s.sandboxId === sandboxId);
  assert.deepEqual(mine?.limits, [
    { per: 'day', limitTokens: 100, action: 'ask', spent: { tokens: 410, costUsd: 0.002164 } },
  ]);
  assert.equal(
    mine?.hours.reduce((sum, p) => sum + p.tokens, 0),
    410,
    'the hours carry the same tokens',
  );
  const ended = d.events.find(
    (e) => e.type === 'request.decided' && e.sandboxId === sandboxId && e.approvalId === card.id,
  );
  assert.ok(ended, 'the request is recorded as decided by the approval');

  // The next call asks again; a denial is the provider's 429, and the stand-in is not asked.
  const asked = stub.acceptEncodings.length;
  const denied = ask().then(
    () => assert.fail('the denied call went through'),
    (e: unknown) => e,
  );
  const second = await until('a second budget approval', async () => {
    const a = await budgetApproval(sandboxId);
    return a.id !== card.id ? a : undefined;
  });
  assert.equal(second.budget?.spent.tokens, 410);
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: second.id },
    body: { decision: 'deny', scope: 'once' },
  });
  const refused = await denied;
  assert.ok(
    refused instanceof Anthropic.RateLimitError,
    `an Anthropic RateLimitError, got ${String(refused)}`,
  );
  assert.match(refused.message, /budget of 100 tokens per day is used up/);
  assert.equal(stub.acceptEncodings.length, asked, 'the denied request never reached the stand-in');
});

test('the totals survive a daemon restart: they are read back from the audit trail', async () => {
  const before = await d.client.call('GET /v1/spend');
  assert.ok(before.sandboxes.length >= 4, 'the earlier tests spent');
  await d.daemon.stop();
  const home = d.home;
  d = await startTestDaemon({ home, upstreamCa: [stubCaPem], resolve: { 'models.test': '127.0.0.1' } });
  const after = await d.client.call('GET /v1/spend');
  // The listeners (and so their policies' limits) did not survive; the spend and its hours did.
  const spent = (v: typeof before) => v.sandboxes.map(({ limits: _, ...rest }) => rest);
  assert.deepEqual(spent(after), spent(before));
});
