// Real local upstream servers for integration tests: plain HTTP and HTTPS (with its own
// test CA), recording what they received, with echo, sized-body and WebSocket routes.
// Echo variants for secret tests: /echo-split (the echo in two chunks, cut inside the
// Authorization value), /echo-gzip (gzip whatever the request accepts), /echo-header (the
// Authorization and URL echoed in response headers), /echo-range (honours `Range: bytes=A-B`
// with a 206 of that slice of the echo). WebSocket /ws answers the message
// `headers` with the handshake's headers, and `headers-split` with the same in two fragments.

import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
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
      if (echoVariant(req, res, text)) return;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  };
}

/** The /echo-* routes; false for any other URL. */
function echoVariant(req: http.IncomingMessage, res: http.ServerResponse, text: string): boolean {
  const url = req.url ?? '';
  if (url.startsWith('/echo-split')) {
    const auth = String(req.headers.authorization ?? '');
    const at = text.indexOf(auth);
    const cut = at === -1 ? text.length >> 1 : at + (auth.length >> 1) + 3;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.write(text.slice(0, cut));
    setTimeout(() => res.end(text.slice(cut)), 30);
    return true;
  }
  if (url.startsWith('/echo-gzip')) {
    const zipped = gzipSync(text);
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(zipped);
    return true;
  }
  const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
  if (url.startsWith('/echo-range') && range) {
    const whole = Buffer.from(text, 'utf8');
    const slice = whole.subarray(Number(range[1]), Number(range[2]) + 1);
    res.writeHead(206, {
      'content-type': 'application/json',
      'content-range': `bytes ${range[1]}-${Number(range[1]) + slice.length - 1}/${whole.length}`,
      'content-length': slice.length,
    });
    res.end(slice);
    return true;
  }
  if (url.startsWith('/echo-header')) {
    res.writeHead(302, {
      'x-echo-authorization': String(req.headers.authorization ?? ''),
      location: `https://elsewhere.test${url}`,
      'content-length': 0,
    });
    res.end();
    return true;
  }
  return false;
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
      ws.on('message', (data) => {
        const text = data.toString();
        const headers = JSON.stringify(req.headers);
        if (text === 'headers') return ws.send(headers);
        if (text === 'headers-split') {
          const auth = String(req.headers.authorization ?? '');
          const cut = headers.indexOf(auth) + (auth.length >> 1) + 3;
          ws.send(headers.slice(0, cut), { fin: false });
          ws.send(headers.slice(cut), { fin: true });
          return;
        }
        ws.send(`echo:${text}`);
      });
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
