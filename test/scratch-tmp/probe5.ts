import net from 'node:net';
import { policyYaml, startTestDaemon } from '../support/daemon.ts';
import { startUpstreams } from '../support/upstreams.ts';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const up = await startUpstreams();
const d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'mitm.test': '127.0.0.1' } });
const { listener } = await d.listener(
  policyYaml(`- match: mitm.test\n  paths: ["/**"]\n  action: allow\n- match: 127.0.0.1\n  action: allow`),
);
const rand = prng(0x7151);
const garbage = Array.from({ length: 40 }, (_, i) => {
  const length = 5 + Math.floor(rand() * 3000);
  const bytes = Buffer.alloc(length);
  for (let k = 0; k < length; k++) bytes[k] = Math.floor(rand() * 256);
  if (i % 2 === 0) {
    bytes[0] = 0x16;
    bytes[1] = 3;
    bytes[2] = 1;
  }
  return { bytes, authority: i % 4 === 3 ? `127.0.0.1:${up.httpsPort}` : `mitm.test:${up.httpsPort}` };
});
await Promise.all(
  garbage.map(
    ({ bytes, authority }, i) =>
      new Promise<void>((res) => {
        const s = net.connect(listener.port, '127.0.0.1');
        s.on('error', () => {});
        s.write(`CONNECT ${authority} HTTP/1.1\r\nHost: x\r\n\r\n`);
        s.once('data', () => {
          s.write(bytes);
          s.resume();
        });
        const t0 = Date.now();
        const timer = setTimeout(() => {
          console.log(
            'HUNG',
            i,
            authority.split(':')[0],
            bytes.length,
            bytes.subarray(0, 6).toString('hex'),
            bytes.readUInt16BE(3),
          );
          s.destroy();
        }, 3000);
        s.on('close', () => {
          clearTimeout(timer);
          res();
        });
      }),
  ),
);
await d.stop();
await up.close();
