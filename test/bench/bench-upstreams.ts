// Loopback upstreams for the proxy benchmarks: lean servers answering `/small` (2 bytes) and
// `/bytes/N` from cached buffers, so the upstream costs the same for every client.

import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';

export interface BenchUpstreams {
  httpPort: number;
  httpsPort: number;
  caFile: string;
  caPem: string;
  close(): Promise<void>;
}

export async function startBenchUpstreams(): Promise<BenchUpstreams> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-bench-upstream-'));
  const ca = await CertificateAuthority.loadOrCreate(dir);
  const secureContext = await ca.secureContextFor('127.0.0.1');
  const bodies = new Map<number, Buffer>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const m = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
      let body: Buffer;
      if (m) {
        const n = Math.min(Number(m[1]), 1024 * 1024 * 1024);
        body = bodies.get(n) ?? Buffer.alloc(n, 120);
        bodies.set(n, body);
      } else body = Buffer.from('ok');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
  };
  const options = { keepAliveTimeout: 60_000, headersTimeout: 60_000, requestTimeout: 0 };
  const plain = http.createServer(options, handler);
  // HTTPS by hand: clients connecting to an IP send no SNI, and an https.Server has no
  // way to take a ready SecureContext as its default, so TLS is terminated per socket.
  const secureHttp = http.createServer(options, handler);
  const secure = net.createServer((socket) => {
    const tlsSocket = new tls.TLSSocket(socket, {
      isServer: true,
      secureContext,
      ALPNProtocols: ['http/1.1'],
    });
    tlsSocket.on('error', () => tlsSocket.destroy());
    secureHttp.emit('connection', tlsSocket);
  });
  const listen = (s: net.Server) =>
    new Promise<number>((resolve) =>
      s.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () =>
        resolve((s.address() as net.AddressInfo).port),
      ),
    );
  const httpPort = await listen(plain);
  const httpsPort = await listen(secure);
  return {
    httpPort,
    httpsPort,
    caFile: ca.certPath,
    caPem: ca.certPem,
    async close() {
      plain.closeAllConnections();
      secureHttp.closeAllConnections();
      await Promise.all([plain, secure].map((s) => new Promise((r) => s.close(r))));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
