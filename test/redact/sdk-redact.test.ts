// spec.redact with the official SDKs (@anthropic-ai/sdk, openai) as the real clients, through
// a real daemon's listener with TLS interception, against the loopback stand-ins of the two
// APIs (test/support/model-spend-stubs.ts): a vault value, its placeholder, an AWS key, a PEM
// key and an e-mail address planted in prompts never reach the stand-in (plain bodies, a body
// streamed in chunks that cut the secrets, a gzip-encoded one), the SDK gets its answer, the
// audit counts what was masked and nowhere (audit database, logs) holds a planted value; a
// `block` rule makes the SDK raise its own invalid-request error.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import type { RequestEndedEvent } from '../../supervisor/api/index.ts';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { type SpendStub, startSpendStub } from '../support/model-spend-stubs.ts';

const VALUE = 'vault-value-9f8e7d6c5b4a';
const AWS = 'AKIAZ7QWERTYUIOPLKJH';
const PEM_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7redactme';
const PEM = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\nAbCdEf0123456789+/==\n-----END PRIVATE KEY-----`;
const EMAIL = 'ada.lovelace@analytical.example';

let d: TestDaemon;
let stub: SpendStub;
let caDir: string;
let placeholder: string;

const policy = (action: 'mask' | 'block') =>
  [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata:',
    '  name: redact',
    'spec:',
    '  network:',
    '    default: deny',
    '    rules:',
    '      - match: models.test',
    '        action: allow',
    '      - match: 127.0.0.1/32',
    '        action: allow',
    '  redact:',
    '    hosts: [models.test]',
    '    rules:',
    '      - { detector: vault, action: mask }',
    '      - { detector: cloud-keys, action: mask }',
    '      - { detector: email, action: mask }',
    `      - { detector: private-keys, action: ${action} }`,
    '',
  ].join('\n');

before(async () => {
  caDir = await mkdtemp(path.join(os.tmpdir(), 'warden-redact-ca-'));
  const ca = await CertificateAuthority.loadOrCreate(caDir);
  stub = await startSpendStub(ca);
  d = await startTestDaemon({ upstreamCa: [ca.certPem], resolve: { 'models.test': '127.0.0.1' } });
  await d.client.call('PUT /v1/secrets/:name', {
    params: { name: 'DEPLOY_KEY' },
    body: { value: VALUE, hosts: ['deploy.test'], inject: 'bearer' },
  });
});

after(async () => {
  await d?.stop();
  await stub?.close();
  await rm(caDir, { recursive: true, force: true });
});

function proxiedFetch(proxyUrl: string): typeof fetch {
  const dispatcher = new ProxyAgent({ uri: proxyUrl, requestTls: { ca: d.daemon.ca.certPem } });
  return ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}

async function clients(action: 'mask' | 'block') {
  const { env, listener } = await d.listener(policy(action), { secrets: ['DEPLOY_KEY'] });
  placeholder = listener.placeholders.DEPLOY_KEY as string;
  assert.match(placeholder, /^wdn_ph_/);
  const f = proxiedFetch(env.HTTPS_PROXY as string);
  const base = `https://models.test:${stub.port}`;
  return {
    sandboxId: listener.sandboxId,
    fetch: f,
    base,
    anthropic: new Anthropic({ apiKey: 'sk-ant-test', baseURL: base, fetch: f, maxRetries: 0 }),
    openai: new OpenAI({ apiKey: 'sk-test', baseURL: `${base}/v1`, fetch: f, maxRetries: 0 }),
  };
}

const planted = () => [VALUE, placeholder, AWS, PEM_BODY, EMAIL];
const prompt = () =>
  `Deploy with ${VALUE} (or ${placeholder}); aws ${AWS}; mail ${EMAIL}\nkey:\n${PEM}\nthanks`;

function assertClean(bodies: Buffer[]): void {
  for (const body of bodies) {
    const text = body.toString('latin1');
    for (const value of planted())
      assert.ok(!text.includes(value), `the stand-in received ${value.slice(0, 12)}…`);
  }
}

async function ended(sandboxId: string, n: number): Promise<RequestEndedEvent[]> {
  return until(`${n} request.ended`, () => {
    const list = d.events.filter(
      (e): e is RequestEndedEvent => e.type === 'request.ended' && e.sandboxId === sandboxId,
    );
    return list.length >= n ? list : undefined;
  });
}

test('planted values are masked in plain, streamed and gzip bodies; the SDKs get their answers', async () => {
  const { sandboxId, anthropic, openai, fetch: f, base } = await clients('mask');
  const from = stub.bodies.length;
  const msg = await anthropic.messages.create({
    model: 'stub-claude-1',
    max_tokens: 50,
    messages: [{ role: 'user', content: prompt() }],
  });
  assert.equal(msg.content[0]?.type === 'text' && msg.content[0].text, 'hello');
  const chunks = await openai.chat.completions.create({
    model: 'stub-gpt-1',
    messages: [{ role: 'user', content: prompt() }],
    stream: true,
  });
  let said = '';
  for await (const c of chunks) said += c.choices[0]?.delta?.content ?? '';
  assert.equal(said, 'hello');

  // A body streamed in small chunks (every secret cut by a chunk boundary), JSON-escaped.
  const json = Buffer.from(
    JSON.stringify({
      model: 'stub-claude-1',
      max_tokens: 5,
      messages: [{ role: 'user', content: prompt() }],
    }).replace('@', '\\u0040'),
  );
  const streamed = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (let i = 0; i < json.length; i += 7) {
        controller.enqueue(json.subarray(i, i + 7));
        if (i % 70 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      controller.close();
    },
  });
  const res = await f(`${base}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: streamed,
    duplex: 'half',
  } as RequestInit);
  assert.equal(res.status, 200);
  await res.arrayBuffer();

  // A gzip-encoded body: decoded, masked and sent on gzip-encoded.
  const gz = await f(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: zlib.gzipSync(
      JSON.stringify({ model: 'stub-gpt-1', messages: [{ role: 'user', content: prompt() }] }),
    ),
  });
  assert.equal(gz.status, 200);
  assert.equal(
    ((await gz.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content,
    'hello',
  );

  const got = stub.bodies.slice(from);
  assert.equal(got.length, 4);
  assertClean(got);
  for (const body of got) {
    const content = JSON.stringify(JSON.parse(body.toString()));
    assert.match(content, /\[REDACTED:vault:[0-9a-f]{6}\].*\[REDACTED:vault:[0-9a-f]{6}\]/);
    assert.match(content, /\[REDACTED:cloud-keys:[0-9a-f]{6}\]/);
    assert.match(content, /\[REDACTED:email:[0-9a-f]{6}\]/);
    assert.match(content, /\[REDACTED:private-keys:[0-9a-f]{6}\]\\nthanks/);
  }
  // The same value gets the same mask in every request of the sandbox.
  const tags = got.map((b) => b.toString().match(/\[REDACTED:email:[0-9a-f]{6}\]/)?.[0]);
  assert.equal(new Set(tags).size, 1);

  const records = await ended(sandboxId, 4);
  for (const r of records) {
    assert.deepEqual(r.redactions, { vault: 2, 'cloud-keys': 1, email: 1, 'private-keys': 1 });
  }
});

test('a block rule refuses the request in the provider shape: each SDK raises its own error', async () => {
  const { sandboxId, anthropic, openai } = await clients('block');
  const from = stub.bodies.length;
  await assert.rejects(
    anthropic.messages.create({
      model: 'stub-claude-1',
      max_tokens: 50,
      messages: [{ role: 'user', content: prompt() }],
    }),
    (e: unknown) =>
      e instanceof Anthropic.BadRequestError &&
      /private-keys/.test(e.message) &&
      !e.message.includes(PEM_BODY),
  );
  await assert.rejects(
    openai.chat.completions.create({ model: 'stub-gpt-1', messages: [{ role: 'user', content: prompt() }] }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'warden_redaction_blocked',
  );
  // A prompt without a key still goes through, masked.
  const ok = await anthropic.messages.create({
    model: 'stub-claude-1',
    max_tokens: 50,
    messages: [{ role: 'user', content: `mail ${EMAIL}` }],
  });
  assert.equal(ok.stop_reason, 'end_turn');
  assert.equal(stub.bodies.length, from + 1, 'the blocked requests never reached the stand-in');
  assertClean(stub.bodies.slice(from));
  const records = await ended(sandboxId, 3);
  const denied = records.filter((r) => r.outcome === 'denied');
  assert.equal(denied.length, 2);
  for (const r of denied) {
    assert.equal(r.status, 400);
    assert.equal(r.redactions?.['private-keys'], 1);
  }
});

test('no planted value is in the audit database or the logs', async () => {
  await new Promise((r) => setTimeout(r, 300));
  const dir = path.dirname(d.daemon.paths.auditDb);
  const base = path.basename(d.daemon.paths.auditDb);
  const files = (await readdir(dir)).filter((f) => f.startsWith(base));
  assert.ok(files.length > 0);
  const blobs = [
    ...(await Promise.all(files.map((f) => readFile(path.join(dir, f))))),
    Buffer.from(d.logs.join('\n')),
  ];
  for (const blob of blobs) {
    const text = blob.toString('latin1');
    for (const value of [VALUE, AWS, PEM_BODY, EMAIL])
      assert.ok(!text.includes(value), `found ${value.slice(0, 12)}…`);
  }
  const all = JSON.stringify(d.events);
  for (const value of [VALUE, AWS, PEM_BODY, EMAIL]) assert.ok(!all.includes(value));
});
