// Real local upstream servers for integration tests: plain HTTP and HTTPS (with its own
// test CA), recording what they received, with echo, sized-body and WebSocket routes.

import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  secure: boolean;
}

export interface Upstreams {
  httpPort: number;
  httpsPort: number;
  /** PEM of the CA that signed the HTTPS upstream's certificates. */
  caPem: string;
  caFile: string;
  received: Received[];
  close(): Promise<void>;
}

function handler(received: Received[], secure: boolean) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, secure });
      const bytes = /^\/bytes\/(\d+)/.exec(req.url ?? '');
      if (bytes) {
        const n = Number(bytes[1]);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
        res.end(Buffer.alloc(n, 120));
        return;
      }
      const text = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body, secure });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    }),
  );
}

export async function startUpstreams(): Promise<Upstreams> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-upstream-'));
  const ca = await CertificateAuthority.loadOrCreate(dir);
  const received: Received[] = [];
  const plain = http.createServer({ keepAliveTimeout: 30_000 }, handler(received, false));
  const secure = https.createServer(
    {
      keepAliveTimeout: 30_000,
      SNICallback: (name, cb) => {
        ca.secureContextFor(name || '127.0.0.1').then(
          (ctx) => cb(null, ctx),
          (err: Error) => cb(err),
        );
      },
    },
    handler(received, true),
  );
  for (const server of [plain, secure]) {
    const wss = new WebSocketServer({ server, path: '/ws' });
    wss.on('connection', (ws, req) => {
      received.push({
        method: 'GET',
        url: req.url ?? '',
        headers: req.headers,
        body: '',
        secure: server === secure,
      });
      ws.on('message', (data) => ws.send(`echo:${data.toString()}`));
    });
  }
  const httpPort = await listen(plain);
  const httpsPort = await listen(secure);
  return {
    httpPort,
    httpsPort,
    caPem: ca.certPem,
    caFile: ca.certPath,
    received,
    async close() {
      plain.closeAllConnections();
      secure.closeAllConnections();
      await Promise.all([new Promise((r) => plain.close(r)), new Promise((r) => secure.close(r))]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
