import net from 'node:net';
import { policyYaml, startTestDaemon } from '../support/daemon.ts';
import { startUpstreams } from '../support/upstreams.ts';

const up = await startUpstreams();
const d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'mitm.test': '127.0.0.1' } });
const { listener } = await d.listener(
  policyYaml(`- match: mitm.test\n  paths: ["/**"]\n  action: allow\n- match: 127.0.0.1\n  action: allow`),
);
const t0 = Date.now();
for (const [name, bytes] of [
  ['partial-tls', Buffer.from('1603010100aabbcc', 'hex')],
  ['partial-http', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n')],
] as const) {
  const s = net.connect(listener.port, '127.0.0.1');
  s.on('error', () => {});
  s.write(`CONNECT mitm.test:${up.httpsPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
  s.once('data', () => {
    s.write(bytes);
    s.resume();
  });
  s.on('close', () => console.log(name, 'closed after', Date.now() - t0));
  setTimeout(() => s.destroy(), 70_000);
}
await new Promise((r) => setTimeout(r, 71_000));
await d.stop();
await up.close();
