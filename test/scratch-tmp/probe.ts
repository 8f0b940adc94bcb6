import net from 'node:net';
import { policyYaml, startTestDaemon } from '../support/daemon.ts';
import { startUpstreams } from '../support/upstreams.ts';

const up = await startUpstreams();
const d = await startTestDaemon({ upstreamCa: [up.caPem] });
const { listener } = await d.listener(policyYaml(`- match: 127.0.0.1\n  action: allow`));
const port = listener.port;
function raw(data: string | Buffer, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('error', (e) => chunks.push(Buffer.from(`<err ${e.message}>`)));
    s.on('close', () => {
      clearTimeout(t);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    const t = setTimeout(() => {
      s.destroy();
    }, ms);
    s.write(data);
  });
}
const cases: Array<[string, string | Buffer]> = [
  ['garbage', 'GARBAGE\r\n\r\n'],
  ['no version', 'GET /\r\n\r\n'],
  ['bad version', 'GET / HTTP/9.9\r\n\r\n'],
  ['origin form', `GET /x HTTP/1.1\r\nHost: 127.0.0.1:${up.httpPort}\r\n\r\n`],
  ['bad host url', `GET http://exa mple.com/ HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['bad host url2', `GET http://[::1/ HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['bad host url3', `GET http://a..b/ HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['bad host url4', `GET http://%00/ HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['bad host url5', `GET http://127.0.0.1:99999/ HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['ftp', `GET ftp://127.0.0.1/ HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['connect nohost', 'CONNECT nohost HTTP/1.1\r\nHost: nohost\r\n\r\n'],
  ['connect port', 'CONNECT a:99999 HTTP/1.1\r\nHost: a\r\n\r\n'],
  ['connect v6', 'CONNECT [::1 HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['connect empty', 'CONNECT :443 HTTP/1.1\r\n\r\n'],
  ['crlf header', `GET http://127.0.0.1:${up.httpPort}/ HTTP/1.1\r\nHost: x\r\nX-A: a\rb: c\r\n\r\n`],
  ['lf header', `GET http://127.0.0.1:${up.httpPort}/lf HTTP/1.1\nHost: x\nX-A: a\n\n`],
  ['obs fold', `GET http://127.0.0.1:${up.httpPort}/ HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n`],
  ['space before colon', `GET http://127.0.0.1:${up.httpPort}/ HTTP/1.1\r\nHost : x\r\n\r\n`],
  ['huge', `GET http://127.0.0.1:${up.httpPort}/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40000)}\r\n\r\n`],
  [
    'cl+te',
    `POST http://127.0.0.1:${up.httpPort}/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
  ],
  [
    'two cl',
    `POST http://127.0.0.1:${up.httpPort}/ HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`,
  ],
  [
    'bad chunk',
    `POST http://127.0.0.1:${up.httpPort}/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n`,
  ],
  ['nul', Buffer.from([0, 1, 2, 3, 0xff, 0x16, 0x03, 0x01, 13, 10, 13, 10])],
];
for (const [name, data] of cases) {
  const r = await raw(data);
  console.log(name.padEnd(20), JSON.stringify(r.split('\r\n')[0]), r.length);
}
await d.stop();
await up.close();
