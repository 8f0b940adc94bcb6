// spec.redact from the attacker's side, through a real daemon's listener against the loopback
// stand-in of the model APIs: a catastrophic-backtracking pattern, a 50 MiB body, invalid
// UTF-8, JSON with duplicate keys and escapes, and encodings that cannot be read. Patterns
// that cannot run in linear time are refused when the policy is read.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { parsePolicy } from '../../supervisor/policy/index.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { type SpendStub, startSpendStub } from '../support/model-spend-stubs.ts';

const AWS = 'AKIAZ7QWERTYUIOPLKJH';
let d: TestDaemon;
let stub: SpendStub;
let caDir: string;
let send: (
  body: Buffer | string,
  headers?: Record<string, string>,
) => Promise<{ status: number; text: string }>;

const policy = (rules: string[]) =>
  [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata:',
    '  name: hostile-redact',
    'spec:',
    '  network:',
    '    default: deny',
    '    rules:',
    '      - { match: models.test, action: allow }',
    '      - { match: 127.0.0.1/32, action: allow }',
    '  redact:',
    '    hosts: [models.test]',
    '    rules:',
    ...rules.map((r) => `      - ${r}`),
    '',
  ].join('\n');

before(async () => {
  caDir = await mkdtemp(path.join(os.tmpdir(), 'warden-redact-hostile-'));
  const ca = await CertificateAuthority.loadOrCreate(caDir);
  stub = await startSpendStub(ca);
  d = await startTestDaemon({ upstreamCa: [ca.certPem], resolve: { 'models.test': '127.0.0.1' } });
  const { env } = await d.listener(
    policy([
      '{ detector: cloud-keys, action: mask }',
      '{ detector: email, action: mask }',
      "{ name: evil, pattern: '(a+)+$', action: mask }",
    ]),
  );
  const dispatcher = new ProxyAgent({
    uri: env.HTTPS_PROXY as string,
    requestTls: { ca: d.daemon.ca.certPem },
  });
  send = async (body, headers = {}) => {
    const res = await undiciFetch(`https://models.test:${stub.port}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      dispatcher,
    });
    return { status: res.status, text: await res.text() };
  };
});

after(async () => {
  await d?.stop();
  await stub?.close();
  await rm(caDir, { recursive: true, force: true });
});

const message = (content: string) =>
  JSON.stringify({ model: 'stub-claude-1', max_tokens: 5, messages: [{ role: 'user', content }] });

test('a pattern that cannot run in linear time is refused when the policy is read, naming why', () => {
  for (const pattern of ['(a)\\1', '(?=a)b', 'a(?<!b)']) {
    const result = parsePolicy(policy([`{ name: bad, pattern: '${pattern}', action: mask }`]), 'p.yaml');
    assert.equal(result.ok, false, pattern);
    if (!result.ok) assert.match(result.errors.map((e) => e.message).join('\n'), /linear time/);
  }
  const both = parsePolicy(policy(["{ detector: email, pattern: 'x', name: x, action: mask }"]), 'p.yaml');
  assert.equal(both.ok, false);
  const unnamed = parsePolicy(policy(["{ pattern: 'x', action: mask }"]), 'p.yaml');
  assert.equal(unnamed.ok, false);
});

test('a catastrophic-backtracking pattern on a hostile body finishes promptly (V8 falls back to its linear engine)', async () => {
  const from = stub.bodies.length;
  const started = performance.now();
  const res = await send(message(`${'a'.repeat(30_000)}!`));
  assert.equal(res.status, 200);
  assert.ok(performance.now() - started < 10_000, 'bounded');
  assert.equal(stub.bodies.length, from + 1);
});

test('a 50 MiB body streams through, a key at its end is masked, and nothing else changes', async () => {
  const filler = 'lorem ipsum dolor sit amet '.repeat(Math.ceil((50 * 1024 * 1024) / 27));
  const from = stub.bodies.length;
  const res = await send(message(`start ${AWS} ${filler} end ${AWS}`));
  assert.equal(res.status, 200, res.text.slice(0, 400));
  const got = stub.bodies[from] as Buffer;
  assert.ok(got.length > 50 * 1024 * 1024, `${stub.bodies.length - from} bodies, ${got?.length} bytes`);
  const content =
    (JSON.parse(got.toString()) as { messages: Array<{ content: string }> }).messages[0]?.content ?? '';
  assert.ok(!content.includes(AWS));
  assert.match(content.slice(0, 60), /^start \[REDACTED:cloud-keys:[0-9a-f]{6}\] lorem/);
  assert.match(content.slice(-40), /end \[REDACTED:cloud-keys:[0-9a-f]{6}\]$/);
});

test('invalid UTF-8, duplicate keys and JSON escapes: every copy is found, other bytes pass unchanged', async () => {
  const from = stub.bodies.length;
  const body = Buffer.concat([
    Buffer.from(
      '{"model":"stub-claude-1","max_tokens":5,"messages":[{"role":"user","content":"ok \u00e9"}],',
    ),
    Buffer.from('"messages":[{"role":"user","content":"'),
    Buffer.from([0xff, 0xfe, 0xc3]),
    Buffer.from(' mail ada\\u0040example.com key \\u0041KIAZ7QWERTYUIOPLKJH\\/x \\ud83d\\ude00"}]}'),
  ]);
  const res = await send(body);
  assert.equal(res.status, 200);
  const got = stub.bodies[from] as Buffer;
  const text = got.toString('latin1');
  assert.ok(!text.includes('example.com') && !text.includes('QWERTYUIOP'), text);
  assert.ok(got.includes(Buffer.from([0xff, 0xfe, 0xc3])), 'the invalid bytes are passed on as they were');
  assert.ok(text.includes('"content":"ok \u00c3\u00a9"'), 'the first copy is unchanged');
  assert.match(
    text,
    /mail \[REDACTED:email:[0-9a-f]{6}\] key \[REDACTED:cloud-keys:[0-9a-f]{6}\]\\\/x \\ud83d\\ude00"/,
  );
});

test('a body in an encoding Warden cannot read, or a broken gzip, is refused before it goes upstream', async () => {
  const from = stub.bodies.length;
  const zstd = await send(message(`key ${AWS}`), { 'content-encoding': 'zstd' });
  assert.equal(zstd.status, 400);
  assert.match(zstd.text, /zstd/);
  const broken = await send('not gzip at all', { 'content-encoding': 'gzip' });
  assert.ok(broken.status === 400 || broken.status === 502, `status ${broken.status}`);
  assert.equal(stub.bodies.length, from, 'nothing reached the stand-in');
});
