// An agent against a budget with `action: ask`, from the attacker's side: a flood of calls
// over the limit makes one card that says how many wait (not a card per call), nothing of
// it reaches the provider before a human answers, and a denial refuses every one of them;
// a call whose client goes away while held sends nothing, even when its card is allowed
// afterwards; a card cannot be answered "always" to lift the budget for good.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { modelSdks } from '../support/model-sdk-clients.ts';
import { type SpendStub, startSpendStub } from '../support/model-spend-stubs.ts';

const POLICY = `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: hostile-ask
spec:
  network:
    default: deny
    rules:
      - match: models.test
        action: allow
        tls: inspect
      - match: 127.0.0.1/32
        action: allow
  approvals:
    timeoutSeconds: 30
  budgets:
    hosts: [models.test]
    limits:
      - { per: day, tokens: 0, action: ask }
`;

let caDir: string;
let stub: SpendStub;
let d: TestDaemon;

before(async () => {
  caDir = await mkdtemp(path.join(os.tmpdir(), 'warden-hostile-ask-ca-'));
  const ca = await CertificateAuthority.loadOrCreate(caDir);
  stub = await startSpendStub(ca);
  d = await startTestDaemon({ upstreamCa: [ca.certPem], resolve: { 'models.test': '127.0.0.1' } });
});
after(async () => {
  await d?.stop();
  await stub?.close();
  await rm(caDir, { recursive: true, force: true });
});

const params = { model: 'stub-claude-1', max_tokens: 5, messages: [{ role: 'user' as const, content: 'x' }] };

async function sandbox() {
  const { env, listener } = await d.listener(POLICY);
  const { anthropic } = modelSdks(env.HTTPS_PROXY as string, d.daemon.ca.certPem, stub.port);
  const held = async () =>
    (await d.client.call('GET /v1/approvals')).filter((a) => a.sandboxId === listener.sandboxId);
  return { anthropic, sandboxId: listener.sandboxId, held };
}

test('a flood over the limit: one card counting the waiting calls; nothing sent; a denial refuses all', async () => {
  const { anthropic, held } = await sandbox();
  const asked = stub.acceptEncodings.length;
  const calls = Array.from({ length: 12 }, () =>
    anthropic.messages.create(params).then(
      () => 'through',
      (e: unknown) => e,
    ),
  );
  const card = await until('one card with every call waiting', async () => {
    const list = await held();
    return list.length === 1 && list[0]?.waiting === 12 ? list[0] : undefined;
  });
  assert.ok(card.budget, 'the card is a budget card');
  assert.equal(stub.acceptEncodings.length, asked, 'nothing reached the provider while held');
  await assert.rejects(
    d.client.call('POST /v1/approvals/:id', {
      params: { id: card.id },
      body: { decision: 'allow', scope: 'always' },
    }),
    /answered once only/,
  );
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: card.id },
    body: { decision: 'deny', scope: 'once' },
  });
  for (const r of await Promise.all(calls)) {
    assert.ok(r instanceof Anthropic.RateLimitError, `a RateLimitError, got ${String(r)}`);
  }
  assert.equal(stub.acceptEncodings.length, asked, 'the denied calls never reached the provider');
});

test('a call abandoned while held: nothing is sent, not even when its card is allowed later', async () => {
  const { anthropic, sandboxId, held } = await sandbox();
  const asked = stub.acceptEncodings.length;
  const abort = new AbortController();
  const call = anthropic.messages.create(params, { signal: abort.signal }).then(
    () => 'through',
    (e: unknown) => e,
  );
  const card = await until('the card', async () => (await held())[0]);
  abort.abort();
  await call;
  const refused = await until('the refusal recorded', () =>
    d.events.find((e) => e.type === 'request.decided' && e.sandboxId === sandboxId),
  );
  assert.equal(refused.type === 'request.decided' && refused.outcome, 'error');
  assert.equal((await held())[0]?.waiting, 0, 'nobody waits on the card any more');
  // The card stays until answered (as every approval does); allowing it now lets nothing out.
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: card.id },
    body: { decision: 'allow', scope: 'once' },
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(stub.acceptEncodings.length, asked, 'nothing reached the provider');
});
