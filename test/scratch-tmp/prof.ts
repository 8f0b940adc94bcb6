import { benchIntercept, startProxyBench, stopProxyBench } from '../bench/proxy.ts';

const ctx = await startProxyBench((l) => console.error(l));
console.log(
  JSON.stringify(
    await benchIntercept(ctx, { durationMs: 6000, baselineMs: 1000, latencyCount: 200 }),
    null,
    0,
  ),
);
await stopProxyBench(ctx);
