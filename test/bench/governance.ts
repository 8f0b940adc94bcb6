// Proxied latency while the daemon is governed at a steady pace: approvals answered and
// policies applied, 50 per second together. Each of those calls writes an acknowledged audit
// record; the event loop must not wait for it (the writer acknowledges by message), so the
// proxied p99 should barely move.

import http from 'node:http';
import { type Figure, round } from './figures.ts';
import type { LatencyResult } from './load.ts';
import type { ProxyBenchContext } from './proxy-context.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A GET through an `ask` listener (its URL carries the credential): it waits for its answer. */
function askThrough(proxyUrl: string, url: string): Promise<number> {
  const proxy = new URL(proxyUrl);
  const auth = Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: proxy.hostname,
        port: Number(proxy.port),
        method: 'GET',
        path: url,
        headers: { host: new URL(url).host, 'proxy-authorization': `Basic ${auth.toString('base64')}` },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', () => resolve(0));
    req.setTimeout(10_000, () => req.destroy());
    req.end();
  });
}

/**
 * Until `stop()`: every 20 ms one governance call, alternating an approval answered (the
 * request parked on an `ask` rule the tick before, allowed once, as a person in the UI would)
 * and a rule added to another sandbox's policy. Calls do not overlap: the next waits for
 * the one before (a slow daemon lowers the rate, which the figure's note reports).
 */
function governLoop(ctx: ProxyBenchContext, ask: { url: string }, ruled: { sandboxId: string }) {
  const { client } = ctx.daemon;
  let running = true;
  let answered = 0;
  let applied = 0;
  let errors = 0;
  const parked: Array<Promise<number>> = [];
  const url = `http://127.0.0.1:${ctx.up.httpPort}/small`;
  const loop = (async () => {
    let next = performance.now();
    for (let k = 0; running; k++) {
      try {
        if (k % 2 === 0) {
          const pending = await client.call('GET /v1/approvals');
          const first = pending[0];
          if (first) {
            await client.call('POST /v1/approvals/:id', {
              params: { id: first.id },
              body: { decision: 'allow', scope: 'once' },
            });
            answered++;
          }
          parked.push(askThrough(ask.url, `${url}?n=${k}`));
        } else {
          await client.call('POST /v1/sandboxes/:sandboxId/rules', {
            params: { sandboxId: ruled.sandboxId },
            body: { rule: { match: `host-${k}.bench.test` }, action: 'allow' },
          });
          applied++;
        }
      } catch {
        errors++;
      }
      next += 20;
      await sleep(Math.max(0, next - performance.now()));
    }
    // Answer what is still parked, so nothing waits for its timeout.
    for (const a of await client.call('GET /v1/approvals').catch(() => [])) {
      await client
        .call('POST /v1/approvals/:id', { params: { id: a.id }, body: { decision: 'deny', scope: 'once' } })
        .catch(() => {});
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const statuses = await Promise.all(parked);
      return { answered, applied, errors: errors + statuses.filter((s) => s === 0).length };
    },
  };
}

export async function benchUnderGovernance(ctx: ProxyBenchContext, count = 3000): Promise<Figure[]> {
  const ask = await ctx.daemon.listener('bench-ask', '- match: 127.0.0.1\n  action: ask');
  const ruled = await ctx.daemon.listener('bench-ruled', '- match: 127.0.0.1\n  action: allow');
  const url = `http://127.0.0.1:${ctx.up.httpPort}/small`;
  const measure = () =>
    ctx.load.run<LatencyResult[]>({
      kind: 'latency',
      url,
      targets: [{ via: { kind: 'direct' } }, { via: { kind: 'forward', proxy: ctx.plain.url } }],
      warmup: 300,
      count,
    }) as Promise<[LatencyResult, LatencyResult]>;
  const [qDirect, quiet] = await measure();
  const governing = governLoop(ctx, ask, ruled);
  const started = performance.now();
  const [bDirect, busy] = await measure();
  const seconds = (performance.now() - started) / 1000;
  const g = await governing.stop();
  const rate = (g.answered + g.applied) / seconds;
  ctx.log(
    `  plain HTTP p99 quiet ${quiet.p99.toFixed(3)} ms (direct ${qDirect.p99.toFixed(3)}), while governing ${busy.p99.toFixed(3)} ms (direct ${bDirect.p99.toFixed(3)}); ${g.answered} approvals answered, ${g.applied} rules applied in ${seconds.toFixed(1)} s, ${g.errors} errors`,
  );
  return [
    {
      section: 'plain HTTP',
      name: 'added latency p99 while approvals are answered and policies applied at 50/s',
      value: round(busy.p99 - bDirect.p99, 3),
      unit: 'ms',
      direct: round(quiet.p99 - qDirect.p99, 3),
      directUnit: 'ms (quiet)',
      goal: { op: '<=', target: 5, on: 'value' },
      note: `${count} sequential requests; ${g.answered} answers + ${g.applied} rule applies in ${seconds.toFixed(1)} s = ${rate.toFixed(0)}/s, ${g.errors} errors; "direct" column: the same figure with no governance`,
    },
  ];
}
