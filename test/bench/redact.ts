// What spec.redact adds to a model API request: a 100 KB prompt (JSON with escapes, no
// secret in it, and one with a few) through a listener whose policy masks with every built-in
// detector, beside the same through a listener without redaction rules (the body then takes
// the plain intercept path, not the redaction one), and through one with the vault detector
// alone (the same redaction path, next to nothing to look for), interleaved in the same run
// (the listener without rules in a round of its own: see `interleave`). The plain path's
// ~48 ms on a 100 KB POST looks like Nagle's algorithm meeting a delayed ACK: with
// setNoDelay(true) on every socket of the process it is gone (49.7 -> 6.3 ms p50).
// All intercept TLS to the loopback stand-in of the Anthropic API
// (test/support/model-spend-stubs.ts). The daemon runs in this process (test/support/daemon.ts).

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProxyAgent, fetch as undiciFetch } from 'undici';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { BodyScanner, builtinFinders } from '../../supervisor/redact/index.ts';
import { startTestDaemon } from '../support/daemon.ts';
import { startSpendStub } from '../support/model-spend-stubs.ts';
import { type Figure, round } from './figures.ts';

const ROUNDS = Number(process.env.REDACT_BENCH_ROUNDS ?? 300);

const EVERY = ['vault', 'cloud-keys', 'tokens', 'private-keys', 'email'];

const policy = (detectors: string[]) =>
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
    ...(detectors.length > 0
      ? ['  redact:', '    rules:', ...detectors.map((d) => `      - { detector: ${d}, action: mask }`)]
      : []),
    '',
  ].join('\n');

const PLANTED = ' key AKIAZ7QWERTYUIOPLKJH mail ada@example.org ';

/**
 * A 100 KB prompt of prose and code (quotes and newlines to escape); `secrets` plants a few at
 * its end, or at its start (`early`: then every window of the scanner is searched in full);
 * `at`: no secret, but an `@` in every paragraph (an e-mail's literal: searched in full too).
 */
function prompt(secrets: boolean | 'early' | 'at'): string {
  const para =
    'The build failed in "src/index.ts" at line 42:\n  const x = await fetch(url, { method: "POST" });\n' +
    'We should retry with backoff and log the status; see the notes below for details.\n' +
    (secrets === 'at' ? 'Install @types/node first.\n' : '');
  let text = secrets === 'early' ? PLANTED : '';
  while (text.length < 100_000) text += para;
  if (secrets === true) text += PLANTED;
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

/**
 * The scanner alone, in this process: the CPU it spends on one 100 KB prompt with every
 * detector, fed in 16 KiB chunks (TLS records), as process CPU time over many prompts (less
 * moved by other load on the machine than a wall clock), with the wall-clock p50 beside it.
 */
function scannerFigure(name: string, body: string): Figure {
  const finders = (['vault', 'cloud-keys', 'tokens', 'private-keys', 'email'] as const).flatMap((d) =>
    builtinFinders(d, 'mask', { values: [] }),
  );
  const bytes = Buffer.from(body);
  const scan = () => {
    const s = new BodyScanner({ finders, mask: (k) => `[REDACTED:${k}:000000]` }, true);
    for (let o = 0; o < bytes.length; o += 16384) s.push(bytes.subarray(o, o + 16384));
    s.end();
  };
  for (let i = 0; i < 100; i++) scan();
  const times: number[] = [];
  const rounds = ROUNDS * 4;
  const cpu = process.cpuUsage();
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    scan();
    times.push(performance.now() - started);
  }
  const used = process.cpuUsage(cpu);
  return {
    section: 'redact',
    name: `body scanner CPU per 100 KB prompt, every detector, ${name}`,
    value: round((used.user + used.system) / rounds / 1000, 3),
    unit: 'ms',
    goal: { op: '<=', target: 1, on: 'value' },
    note: `in-process, 16 KiB chunks, ${rounds} prompts; wall p50 ${round(p50(times), 3)} ms; load ${os.loadavg()[0]?.toFixed(2)}`,
  };
}

export async function benchRedact(): Promise<Figure[]> {
  const caDir = await mkdtemp(path.join(os.tmpdir(), 'warden-bench-redact-'));
  const ca = await CertificateAuthority.loadOrCreate(caDir);
  const stub = await startSpendStub(ca);
  const d = await startTestDaemon({ upstreamCa: [ca.certPem], resolve: { 'models.test': '127.0.0.1' } });
  try {
    const send = async (detectors: string[], label: string) => {
      const { env } = await d.listener(policy(detectors), { label });
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
    const plain = await send([], 'plain');
    const vaultOnly = await send(['vault'], 'vault-only');
    const redacted = await send(EVERY, 'redact');
    const clean = prompt(false);
    const planted = prompt(true);
    /**
     * Rounds of the given requests, the order rotating each round so none always goes first.
     * The listener without rules is measured apart: a request after one of its stalls runs
     * faster, which would favour whichever listener follows it most often.
     */
    const interleave = async (runs: Array<() => Promise<number>>): Promise<number[][]> => {
      const times = runs.map(() => [] as number[]);
      for (let i = 0; i < 30 + ROUNDS; i++)
        for (let k = 0; k < runs.length; k++) {
          const at = (i + k) % runs.length;
          const ms = await (runs[at] as () => Promise<number>)();
          if (i >= 30) times[at]?.push(ms);
        }
      return times;
    };
    const [plainT = [], cleanA = [], plantedA = []] = await interleave([
      () => plain(clean),
      () => redacted(clean),
      () => redacted(planted),
    ]);
    const [vaultT = [], cleanB = [], plantedB = []] = await interleave([
      () => vaultOnly(clean),
      () => redacted(clean),
      () => redacted(planted),
    ]);
    const load = os.loadavg()[0]?.toFixed(2);
    const figure = (name: string, xs: number[], baseline: number[], versus: string): Figure => {
      const base = p50(baseline);
      return {
        section: 'redact',
        name,
        value: round(p50(xs) - base, 3),
        unit: 'ms',
        goal: { op: '<=', target: 1, on: 'value' },
        direct: round(base, 3),
        directUnit: 'ms',
        ratio: round(p50(xs) / base, 3),
        versus,
        note: `p50 added to a ${Math.round(clean.length / 1000)} KB prompt, ${ROUNDS} rounds interleaved; load ${load}`,
      };
    };
    const noRules = 'the same prompt through a listener without redaction rules (the plain intercept path)';
    const sameRoute =
      'the same prompt through a listener with the vault detector alone (the same redaction path)';
    return [
      figure('redaction added, 100 KB prompt, nothing found (p50)', cleanA, plainT, noRules),
      figure('redaction added, 100 KB prompt, 2 masked (p50)', plantedA, plainT, noRules),
      figure('every detector vs vault alone, 100 KB prompt, nothing found (p50)', cleanB, vaultT, sameRoute),
      figure('every detector vs vault alone, 100 KB prompt, 2 masked (p50)', plantedB, vaultT, sameRoute),
      scannerFigure('nothing found', clean),
      scannerFigure('2 masked at the end', planted),
      scannerFigure('2 masked at the start', prompt('early')),
      scannerFigure('nothing found, an @ in every paragraph', prompt('at')),
    ];
  } finally {
    await d.stop();
    await stub.close();
    await rm(caDir, { recursive: true, force: true });
  }
}
