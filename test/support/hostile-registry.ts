// A registry that answers what a test scripts (raw bytes, encodings, lies), on 127.0.0.1,
// and records every path it was asked for.

import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';

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
  /** The PEM of the CA that signed its certificate (an HTTPS registry). */
  caPem?: string;
  close(): Promise<void>;
}

/** Plain HTTP, or HTTPS (`tls`) with a certificate for any name from a CA of its own. */
export async function startHostileRegistry(opts: { tls?: boolean } = {}): Promise<HostileRegistry> {
  const asked: string[] = [];
  const answers = new Map<string, ScriptedAnswer>();
  const dir = opts.tls ? await mkdtemp(path.join(os.tmpdir(), 'warden-registry-ca-')) : undefined;
  const ca = dir ? await CertificateAuthority.loadOrCreate(dir) : undefined;
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
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
  };
  const server = ca
    ? https.createServer(
        {
          SNICallback: (name, cb) => {
            ca.secureContextFor(name || '127.0.0.1').then(
              (ctx) => cb(null, ctx),
              (err: Error) => cb(err),
            );
          },
        },
        handle,
      )
    : http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `${ca ? 'https' : 'http'}://127.0.0.1:${port}`,
    asked,
    answers,
    ...(ca ? { caPem: ca.certPem } : {}),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
