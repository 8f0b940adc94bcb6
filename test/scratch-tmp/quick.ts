import { benchProxy } from '../bench/proxy.ts';

const t = Date.now();
const r = await benchProxy({
  latencyCount: 1000,
  downloadRuns: 1,
  interceptMs: 3000,
  shortMs: 2000,
  holdConnections: 1000,
});
console.log(JSON.stringify(r, null, 1));
console.log('took', Date.now() - t);
