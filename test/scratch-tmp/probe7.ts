import net from 'node:net';
import { policyYaml, startTestDaemon } from '../support/daemon.ts';
import { startUpstreams } from '../support/upstreams.ts';

const up = await startUpstreams();
const d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'mitm.test': '127.0.0.1' } });
const { listener } = await d.listener(
  policyYaml(`- match: mitm.test\n  paths: ["/**"]\n  action: allow\n- match: 127.0.0.1\n  action: allow`),
);
const l = d.daemon.sandboxes.listener(listener.sandboxId)!;
for (let i = 0; i < 20; i++) {
  await new Promise<void>((res) => {
    const s = net.connect(listener.port, '127.0.0.1');
    s.on('error', () => {});
    s.write(`CONNECT mitm.test:${up.httpsPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    s.once('data', () => {
      s.destroy();
      res();
    }); // client gives up: full close (FIN)
  });
}
await new Promise((r) => setTimeout(r, 2000));
console.log(
  'after 20 abandoned intercepted CONNECTs (client closed), listener still holds',
  l.openConnections,
  'sockets',
);
await d.stop();
await up.close();
