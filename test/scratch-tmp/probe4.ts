import net from 'node:net';
import { policyYaml, startTestDaemon } from '../support/daemon.ts';
import { startUpstreams } from '../support/upstreams.ts';

const up = await startUpstreams();
const d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'mitm.test': '127.0.0.1' } });
const { listener } = await d.listener(
  policyYaml(`- match: mitm.test\n  paths: ["/**"]\n  action: allow\n- match: 127.0.0.1\n  action: allow`),
);
const l = d.daemon.sandboxes.listener(listener.sandboxId)!;
const mk = (fin: boolean, auth: string) =>
  new Promise<net.Socket>((res) => {
    const s = net.connect(listener.port, '127.0.0.1', () => {
      s.write(`CONNECT ${auth} HTTP/1.1\r\nHost: x\r\n\r\n`);
      s.once('data', () => {
        if (fin) s.end();
        res(s);
      });
    });
    s.on('error', () => {});
  });
const a = await mk(true, `mitm.test:${up.httpsPort}`);
const b = await mk(false, `mitm.test:${up.httpsPort}`);
const c = await mk(true, `127.0.0.1:${up.httpsPort}`);
const t0 = Date.now();
for (const [n, s] of [
  ['fin-intercept', a],
  ['idle-intercept', b],
  ['fin-spliced', c],
] as const)
  s.on('close', () => console.log(n, 'closed after', Date.now() - t0, 'ms'));
await new Promise((r) => setTimeout(r, 40_000));
console.log(
  'after 40 s: open on listener',
  l.openConnections,
  'a',
  a.destroyed,
  'b',
  b.destroyed,
  'c',
  c.destroyed,
);
a.destroy();
b.destroy();
c.destroy();
await d.stop();
await up.close();
