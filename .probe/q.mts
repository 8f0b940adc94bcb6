import { benchEvent } from '../test/bench/audit.ts';
import { toOcsf, canonicalJson } from '../supervisor/audit/index.ts';
const DEVICE = { hostname: 'bench', os: { name: 'Linux', type: 'Linux', type_id: 100 } };
const N = 20000;
const evs = []; for (let i = 0; i < N; i++) evs.push(benchEvent(i));
for (let round = 0; round < 4; round++) {
let t = performance.now();
const ms = evs.map((e) => toOcsf(e, { device: DEVICE, version: '1' }, 0));
const a = (performance.now() - t) / N * 1000;
t = performance.now();
for (const m of ms) canonicalJson(m.ocsf);
const b = (performance.now() - t) / N * 1000;
t = performance.now();
for (const m of ms) JSON.stringify(m.ocsf);
console.log('map', a.toFixed(1), 'canon', b.toFixed(1), 'stringify', ((performance.now() - t) / N * 1000).toFixed(1));
}
