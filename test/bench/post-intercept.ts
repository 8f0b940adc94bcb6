// A request body through TLS interception: POSTs of several sizes with undici through the
// daemon's intercepting listener (a path rule), against the same POSTs direct, interleaved.
// Issue 17 found a ~48 ms stall from 60 KB up (delayed ACK against a body written upstream
// in small pieces); this keeps it measured. Run alone: node --import tsx test/bench/post-intercept.ts

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import { type Figure, round } from './figures.ts';
import { percentile } from './load.ts';
import { type ProxyBenchContext, startProxyBench, stopProxyBench } from './proxy-context.ts';

async function post(d: Dispatcher, origin: string, body: Buffer): Promise<void> {
  const res = await d.request({
    origin,
    path: '/small',
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream' },
  });
  for await (const _ of res.body) {
    // drain
  }
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
}

async function timed(d: Dispatcher, origin: string, body: Buffer, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await post(d, origin, body);
    times.push(performance.now() - t);
  }
  return times;
}

/** p50/p99 of `sizes`-byte POSTs direct and intercepted, `count` each, in interleaved blocks. */
export async function benchPostIntercept(
  ctx: ProxyBenchContext,
  sizes = [1024, 100 * 1024],
  count = 200,
): Promise<Figure[]> {
  const origin = `https://127.0.0.1:${ctx.up.httpsPort}`;
  const direct = new Agent({ connections: 1, connect: { ca: [ctx.up.caPem] } });
  const mitm = new ProxyAgent({
    uri: ctx.intercept.url,
    connections: 1,
    requestTls: { ca: [ctx.daemon.caPem] },
  });
  const figures: Figure[] = [];
  try {
    for (const size of sizes) {
      const body = Buffer.alloc(size, 97);
      await timed(direct, origin, body, 20);
      await timed(mitm, origin, body, 20);
      const d: number[] = [];
      const m: number[] = [];
      for (let done = 0; done < count; done += 50) {
        d.push(...(await timed(direct, origin, body, 50)));
        m.push(...(await timed(mitm, origin, body, 50)));
      }
      d.sort((a, b) => a - b);
      m.sort((a, b) => a - b);
      const kb = Math.round(size / 1024);
      ctx.log(
        `  POST ${kb} KB intercepted: direct p50 ${percentile(d, 50).toFixed(2)} / p99 ${percentile(d, 99).toFixed(2)} ms; Warden p50 ${percentile(m, 50).toFixed(2)} / p99 ${percentile(m, 99).toFixed(2)} ms`,
      );
      // A delayed-ACK stall is 40 ms or more: the goal leaves room for a loaded machine, not for it.
      figures.push({
        section: 'TLS interception',
        name: `TLS-intercepted POST of ${kb} KB, one kept-alive connection: added p50`,
        value: round(percentile(m, 50) - percentile(d, 50), 2),
        unit: 'ms',
        direct: round(percentile(d, 50), 2),
        directUnit: 'ms',
        ratio: percentile(m, 50) / percentile(d, 50),
        goal: { op: '<=', target: 10, on: 'value' },
        note: `${count} sequential POSTs each (undici), interleaved with direct in blocks of 50; Warden p50 ${round(percentile(m, 50), 2)} / p99 ${round(percentile(m, 99), 2)} ms, direct p99 ${round(percentile(d, 99), 2)} ms`,
      });
    }
  } finally {
    await Promise.all([direct.close(), mitm.close()]);
  }
  return figures;
}

/** Its own daemon, five body sizes (`npm run bench -- --only=post-intercept`). */
export async function benchPostInterceptAlone(
  log: (l: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<Figure[]> {
  const ctx = await startProxyBench(log);
  try {
    return await benchPostIntercept(ctx, [1024, 10 * 1024, 60 * 1024, 100 * 1024, 300 * 1024]);
  } finally {
    await stopProxyBench(ctx);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const figures = await benchPostInterceptAlone();
  for (const f of figures) console.log(`${f.name.padEnd(70)} ${f.value} ${f.unit} (direct ${f.direct})`);
}
