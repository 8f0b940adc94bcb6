// A registry that answers what a test scripts (raw bytes, encodings, lies), on 127.0.0.1,
// and records every path it was asked for.

import http from 'node:http';
import type net from 'node:net';

export interface ScriptedAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** The body, or a function that writes it (for answers too large to hold). */
  body: Buffer | string | ((res: http.ServerResponse) => void);
}

export interface HostileRegistry {
  port: number;
  url: string;
  asked: string[];
  answers: Map<string, ScriptedAnswer>;
  close(): Promise<void>;
}

export async function startHostileRegistry(): Promise<HostileRegistry> {
  const asked: string[] = [];
  const answers = new Map<string, ScriptedAnswer>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    asked.push(path);
    const a = answers.get(path);
    if (!a) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
      return;
    }
    res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers });
    if (typeof a.body === 'function') return a.body(res);
    res.end(a.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    asked,
    answers,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
