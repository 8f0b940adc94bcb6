// A model API host that lies about its answer (says gzip, sends something else), through a
// real daemon's listener with interception: the agent still gets the bytes as sent, the
// meter records no tokens and says it could not decode, and the proxy goes on serving.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import type { RequestEndedEvent } from '../../supervisor/api/index.ts';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { type SpendStub, startSpendStub } from '../support/model-spend-stubs.ts';

let d: TestDaemon;
let stub: SpendStub;
let caDir: string;

before(async () => {
  caDir = await mkdtemp(path.join(os.tmpdir(), 'warden-spend-ca-'));
  const ca = await CertificateAuthority.loadOrCreate(caDir);
  stub = await startSpendStub(ca);
  d = await startTestDaemon({ upstreamCa: [ca.certPem], resolve: { 'api.anthropic.com': '127.0.0.1' } });
});

after(async () => {
  await d?.stop();
  await stub?.close();
  await rm(caDir, { recursive: true, force: true });
});

test('an answer that says gzip and is not: relayed as sent, metered as unreadable', async () => {
  const { env, listener } = await d.listener(
    policyYaml(
      '- match: api.anthropic.com\n  action: allow\n  tls: inspect\n- match: 127.0.0.1/32\n  action: allow',
    ),
  );
  const dispatcher = new ProxyAgent({
    uri: env.HTTPS_PROXY as string,
    requestTls: { ca: d.daemon.ca.certPem },
  });
  const url = `https://api.anthropic.com:${stub.port}/v1/messages`;
  const body = JSON.stringify({ model: 'claude-x', max_tokens: 1, messages: [] });
  stub.mode = 'bad-gzip';
  const res = await undiciFetch(url, {
    method: 'POST',
    body,
    dispatcher,
    headers: { 'accept-encoding': 'br' },
  });
  // The client cannot decode it either (its problem, as without Warden): only the status matters here.
  await res.arrayBuffer().catch(() => undefined);
  assert.equal(res.status, 200);
  assert.equal(stub.acceptEncodings.at(-1), 'identity', "the agent's accept-encoding was narrowed");
  const ended = await until('the metered request.ended', () =>
    d.events.find(
      (e): e is RequestEndedEvent =>
        e.type === 'request.ended' && e.sandboxId === listener.sandboxId && !!e.usage,
    ),
  );
  assert.equal(ended.usage?.inputTokens, 0, 'nothing the meter could not decode was counted');
  assert.match(ended.usage?.incomplete ?? '', /could not be decoded/);
  // The proxy still serves the next one, and reads it.
  stub.mode = 'normal';
  const ok = await undiciFetch(url, { method: 'POST', body, dispatcher });
  assert.equal(((await ok.json()) as { usage: { input_tokens: number } }).usage.input_tokens, 120);
  const second = await until('the second request.ended', () => {
    const list = d.events.filter(
      (e): e is RequestEndedEvent =>
        e.type === 'request.ended' && e.sandboxId === listener.sandboxId && !!e.usage,
    );
    return list.length >= 2 ? list[1] : undefined;
  });
  assert.equal(second.usage?.inputTokens, 120);
  assert.equal(second.usage?.incomplete, undefined);
});
