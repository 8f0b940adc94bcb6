// A WebSocket client that goes through an HTTP proxy: CONNECT for wss:// (TLS inside the
// tunnel, trusting the given CA) and a tunnel for ws:// as well, as real clients do. The
// proxy URL's credential, when it has one, goes in Proxy-Authorization.

import http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import { proxyAuthorization } from './proxy-auth.ts';

export class HttpsProxyAgentLike {
  constructor(
    private readonly proxyUrl: string,
    private readonly caPem: string,
  ) {}

  #tunnel(host: string, port: number): Promise<net.Socket> {
    const proxy = new URL(this.proxyUrl);
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: proxy.hostname,
        port: Number(proxy.port),
        method: 'CONNECT',
        path: `${host}:${port}`,
        headers: proxy.username ? { 'proxy-authorization': proxyAuthorization(this.proxyUrl) } : {},
      });
      req.once('connect', (res, socket) => {
        if (res.statusCode !== 200) return reject(new Error(`CONNECT ${res.statusCode}`));
        resolve(socket);
      });
      req.once('error', reject);
      req.end();
    });
  }

  /** Open, send one message, resolve with the first reply. Rejects with the HTTP status on refusal. */
  exchange(url: string, message: string, headers: Record<string, string> = {}): Promise<string> {
    const u = new URL(url);
    const secure = u.protocol === 'wss:';
    const port = Number(u.port || (secure ? 443 : 80));
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        ca: this.caPem,
        headers,
        createConnection: ((_opts: unknown, cb: (err: Error | null, s?: net.Socket) => void) => {
          this.#tunnel(u.hostname, port).then(
            (socket) => {
              if (!secure) return cb(null, socket);
              const s = tls.connect({
                socket,
                servername: u.hostname,
                ca: this.caPem,
                ALPNProtocols: ['http/1.1'],
              });
              cb(null, s);
            },
            (err: Error) => cb(err),
          );
          return undefined;
        }) as never,
      } as WebSocket.ClientOptions);
      ws.once('open', () => ws.send(message));
      ws.once('message', (data) => {
        resolve(data.toString());
        ws.close();
      });
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused: ${res.statusCode}`));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }
}
