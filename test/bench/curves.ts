// `npm run bench -- --only=curves`: how the cost grows with the work. Decision time per
// request against policies of 10, 1,000 and 10,000 rules (in process: the policy engine
// alone); more curves (listeners, one long tunnel, memory over many requests) in
// curves-daemon.ts.

import type { RequestFacts } from '../../supervisor/api/index.ts';
import type { RuleSpec } from '../../supervisor/api/policy-schema.ts';
import { emptyPolicy, Policy } from '../../supervisor/policy/index.ts';
import { benchDaemonCurves } from './curves-daemon.ts';
import { type Figure, round } from './figures.ts';
import { percentile } from './load.ts';

/** A policy like a large organisation's: exact hosts, wildcards, a few paths and addresses. */
export function bigPolicy(n: number): Policy {
  const rules: RuleSpec[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 10;
    if (k < 6) rules.push({ match: `host-${i}.corp-${i % 97}.example.com`, action: 'allow' });
    else if (k < 8) rules.push({ match: `*.team-${i}.example.net`, action: 'allow' });
    else if (k === 8) rules.push({ match: `api-${i}.example.org`, paths: ['/v1/**'], action: 'allow' });
    else rules.push({ match: `**.zone-${i}.example.io`, action: 'deny' });
  }
  rules.push({ match: '10.0.0.0/8', action: 'deny' });
  const document = emptyPolicy('curve');
  document.spec.network = { rules, default: 'deny' };
  return Policy.resolve([{ layer: 'project', source: './curve.yaml', document }]);
}

const facts = (host: string, path = '/'): RequestFacts => ({
  scheme: 'https',
  host,
  port: 443,
  method: 'GET',
  path,
});

/** p50/p99 µs of decideRequest over a mix: the last exact rule, a wildcard, a miss, an address. */
export function decisionTimes(policy: Policy, n: number, rounds = 20_000): { p50: number; p99: number } {
  const last = n - (n % 10 === 0 ? 10 : n % 10);
  const mix = [
    facts(`host-${last}.corp-${last % 97}.example.com`),
    facts(`x.team-${Math.max(6, n - 4)}.example.net`),
    facts('nobody.example.dev'),
    facts('10.1.2.3'),
    facts(`api-${Math.max(8, n - 2)}.example.org`, '/v1/items'),
  ];
  for (let i = 0; i < 2000; i++) policy.decideRequest(mix[i % mix.length]!);
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const f = mix[i % mix.length]!;
    const t = process.hrtime.bigint();
    policy.decideRequest(f);
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

export async function benchCurves(
  opts: { log?: (l: string) => void; daemon?: boolean; rssRequests?: number } = {},
): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const n of [10, 1_000, 10_000]) {
    const t = performance.now();
    const policy = bigPolicy(n);
    const compileMs = performance.now() - t;
    const { p50, p99 } = decisionTimes(policy, n);
    figures.push({
      section: 'curves',
      name: `decision time per request, ${n.toLocaleString('en-US')} rules: p50`,
      value: round(p50, 2),
      unit: 'µs',
      ...(n === 10_000 ? { goal: { op: '<=', target: 5, on: 'value' } as const } : {}),
      note: `p99 ${p99.toFixed(2)} µs; compiled in ${compileMs.toFixed(0)} ms; a mix of exact, wildcard, path, address and unmatched hosts (each host's candidate rules are cached with its classification)`,
    });
  }
  if (opts.daemon !== false) {
    const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    figures.push(...(await benchDaemonCurves({ log, rssRequests: opts.rssRequests })));
  }
  return figures;
}

if (process.argv[1]?.endsWith('curves.ts')) {
  for (const f of await benchCurves()) console.log(`${f.name}: ${f.value} ${f.unit} (${f.note})`);
}
