import net from 'node:net';
import tls from 'node:tls';
import { policyYaml, startTestDaemon } from '../support/daemon.ts';
import { startUpstreams } from '../support/upstreams.ts';

const up = await startUpstreams();
const d = await startTestDaemon({ upstreamCa: [up.caPem], resolve: { 'mitm.test': '127.0.0.1' } });
const { listener } = await d.listener(
  policyYaml(`- match: mitm.test\n  paths: ["/**"]\n  action: allow\n- match: 127.0.0.1\n  action: allow`),
);
const port = listener.port;
function raw(
  data: string | Buffer,
  opts: { ms?: number; end?: boolean; after?: string | Buffer } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let sentAfter = false;
    s.on('data', (c) => {
      chunks.push(c);
      if (opts.after && !sentAfter) {
        sentAfter = true;
        s.write(opts.after);
      }
    });
    s.on('error', (e) => chunks.push(Buffer.from(`<err ${e.message}>`)));
    s.on('close', () => {
      clearTimeout(t);
      resolve(Buffer.concat(chunks).toString('latin1') + '<close>');
    });
    const t = setTimeout(() => {
      chunks.push(Buffer.from('<timeout>'));
      s.destroy();
    }, opts.ms ?? 1500);
    s.write(data);
    if (opts.end) s.end();
  });
}
const u = `http://127.0.0.1:${up.httpPort}`;
const cases: Array<[string, string | Buffer, any?]> = [
  ['crlf in path enc', `GET ${u}/a%0d%0aX-Injected:%20yes HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['huge url', `GET ${u}/${'a'.repeat(40000)} HTTP/1.1\r\nHost: x\r\n\r\n`],
  [
    'many headers',
    `GET ${u}/ HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n`,
  ],
  ['nul in value', `GET ${u}/ HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n`],
  ['half close', `GET ${u}/half HTTP/1.1\r\nHost: x\r\n\r\n`, { end: true }],
  [
    'connect garbage spliced',
    `CONNECT 127.0.0.1:${up.httpsPort} HTTP/1.1\r\nHost: x\r\n\r\n`,
    { after: Buffer.from([0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9]) },
  ],
  [
    'connect garbage mitm',
    `CONNECT mitm.test:${up.httpsPort} HTTP/1.1\r\nHost: x\r\n\r\n`,
    { after: Buffer.from([0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9]) },
  ],
  [
    'connect garbage mitm2',
    `CONNECT mitm.test:${up.httpsPort} HTTP/1.1\r\nHost: x\r\n\r\n`,
    { after: Buffer.from('\x16'.padEnd(3000, '\xff'), 'latin1') },
  ],
  [
    'connect plain inside',
    `CONNECT mitm.test:${up.httpPort} HTTP/1.1\r\nHost: x\r\n\r\n`,
    { after: `GET /inside HTTP/1.1\r\nHost: mitm.test:${up.httpPort}\r\n\r\n` },
  ],
  [
    'connect junk inside',
    `CONNECT mitm.test:${up.httpPort} HTTP/1.1\r\nHost: x\r\n\r\n`,
    { after: `JUNK\r\n\r\n` },
  ],
  [
    'connect with head',
    `CONNECT mitm.test:${up.httpPort} HTTP/1.1\r\nHost: x\r\n\r\nGET /inside HTTP/1.1\r\nHost: mitm.test:${up.httpPort}\r\n\r\n`,
  ],
  [
    'connect spliced half',
    `CONNECT 127.0.0.1:${up.httpPort} HTTP/1.1\r\nHost: x\r\n\r\nGET /inside HTTP/1.1\r\nHost: x\r\n\r\n`,
    {},
  ],
];
for (const [name, data, opts] of cases) {
  const t = Date.now();
  const r = await raw(data, opts);
  console.log(name.padEnd(24), Date.now() - t, JSON.stringify(r.slice(0, 200)));
}
console.log(up.received.map((r) => r.url.slice(0, 60) + ' ' + JSON.stringify(r.headers).slice(0, 100)));
// ClientHello then reset
for (const delay of [0, 1, 5, 20]) {
  await new Promise<void>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.write(`CONNECT mitm.test:${up.httpsPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    s.once('data', (c) => {
      console.log('connect answer', c.toString().split('\r\n')[0]);
      const t = tls.connect({ socket: s, servername: 'mitm.test', rejectUnauthorized: false });
      t.on('error', () => {});
      setTimeout(() => {
        s.resetAndDestroy();
        resolve();
      }, delay);
    });
  });
}
await new Promise((r) => setTimeout(r, 300));
console.log('status', (await d.client.call('GET /v1/status')).pid, 'open', d.daemon.sandboxes.list().length);
console.log(d.logs.slice(-10));
await d.stop();
await up.close();
