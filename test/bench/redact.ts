// What spec.redact adds to a model API request: a 100 KB prompt (JSON with escapes, no
// secret in it, and one with a few) through a listener whose policy masks with every built-in
// detector, beside the same through a listener without redaction rules, interleaved in the
// same run. Both intercept TLS to the loopback stand-in of the Anthropic API
// (test/support/model-spend-stubs.ts). The daemon runs in this process (test/support/daemon.ts).

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { startTestDaemon } from '../support/daemon.ts';
import { startSpendStub } from '../support/model-spend-stubs.ts';
import { type Figure, round } from './figures.ts';

const ROUNDS = Number(process.env.REDACT_BENCH_ROUNDS ?? 300);

const policy = (redact: boolean) =>
  [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata: { name: bench-redact }',
    'spec:',
    '  network:',
    '    default: deny',
    '    rules:',
    '      - { match: models.test, action: allow, tls: inspect }',
    '      - { match: 127.0.0.1/32, action: allow }',
    '  budgets: { hosts: [models.test] }',
    ...(redact
      ? [
          '  redact:',
          '    rules:',
          ...['vault', 'cloud-keys', 'tokens', 'private-keys', 'email'].map(
            (d) => `      - { detector: ${d}, action: mask }`,
          ),
        ]
      : []),
    '',
  ].join('\n');

/** A 100 KB prompt of prose and code (quotes and newlines to escape); `secrets` plants a few. */
function prompt(secrets: boolean): string {
  const para =
    'The build failed in "src/index.ts" at line 42:\n  const x = await fetch(url, { method: "POST" });\n' +
    'We should retry with backoff and log the status; see the notes below for details.\n';
  let text = '';
  while (text.length < 100_000) text += para;
  if (secrets) text += ' key AKIAZ7QWERTYUIOPLKJH mail ada@example.org ';
  return JSON.stringify({
    model: 'stub-claude-1',
    max_tokens: 5,
    messages: [{ role: 'user', content: text }],
  });
}

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

export async function benchRedact(): Promise<Figure[]> {
  const caDir = await mkdtemp(path.join(os.tmpdir(), 'warden-bench-redact-'));
  const ca = await CertificateAuthority.loadOrCreate(caDir);
  const stub = await startSpendStub(ca);
  const d = await startTestDaemon({ upstreamCa: [ca.certPem], resolve: { 'models.test': '127.0.0.1' } });
  try {
    const send = async (redact: boolean) => {
      const { env } = await d.listener(policy(redact), { label: redact ? 'redact' : 'plain' });
      const dispatcher = new ProxyAgent({
        uri: env.HTTPS_PROXY as string,
        requestTls: { ca: d.daemon.ca.certPem },
      });
      return async (body: string) => {
        const t = performance.now();
        const res = await undiciFetch(`https://models.test:${stub.port}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          dispatcher,
        });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`status ${res.status}`);
        return performance.now() - t;
      };
    };
    const plain = await send(false);
    const redacted = await send(true);
    const clean = prompt(false);
    const planted = prompt(true);
    for (let i = 0; i < 30; i++) {
      await plain(clean);
      await redacted(clean);
      await redacted(planted);
    }
    const t = { plain: [] as number[], clean: [] as number[], planted: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      t.plain.push(await plain(clean));
      t.clean.push(await redacted(clean));
      t.planted.push(await redacted(planted));
    }
    const base = p50(t.plain);
    const load = os.loadavg()[0]?.toFixed(2);
    const figure = (name: string, xs: number[]): Figure => ({
      section: 'redact',
      name,
      value: round(p50(xs) - base, 3),
      unit: 'ms',
      goal: { op: '<=', target: 1, on: 'value' },
      direct: round(base, 3),
      directUnit: 'ms',
      ratio: round(p50(xs) / base, 3),
      versus: 'the same listener without redaction rules',
      note: `p50 added to a ${Math.round(clean.length / 1000)} KB prompt, ${ROUNDS} rounds interleaved; load ${load}`,
    });
    return [
      figure('redaction added, 100 KB prompt, nothing found (p50)', t.clean),
      figure('redaction added, 100 KB prompt, 2 masked (p50)', t.planted),
    ];
  } finally {
    await d.stop();
    await stub.close();
    await rm(caDir, { recursive: true, force: true });
  }
}
