// A real MCP server for tests: the official SDK's McpServer behind its streamable HTTP
// transport on loopback (plain HTTP and HTTPS with a test CA), one session per client.
// It records every tool, resource and prompt it actually served, so a test can prove a
// refused call never reached it. `json: true` answers with application/json, else with
// an event stream.

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';

export interface TestMcpServer {
  httpPort: number;
  httpsPort: number;
  caPem: string;
  /** What the server executed: `tool:NAME`, `resource:URI`, `prompt:NAME`. */
  served: string[];
  /** The arguments each tool call arrived with. */
  toolArgs: Array<{ name: string; args: unknown }>;
  close(): Promise<void>;
}

/** Tool names the server offers; `odd name` and the others test unusual characters. */
export const TOOLS = ['read_file', 'delete_all', 'write_note', 'odd name/é', 'dots.and-dashes'] as const;

function buildServer(served: string[], toolArgs: TestMcpServer['toolArgs']): McpServer {
  const server = new McpServer({ name: 'warden-test', version: '1.0.0' });
  for (const name of TOOLS) {
    server.registerTool(
      name,
      { description: `the ${name} tool`, inputSchema: { text: z.string().optional() } },
      async (args) => {
        served.push(`tool:${name}`);
        toolArgs.push({ name, args });
        return { content: [{ type: 'text', text: `${name} ran with ${JSON.stringify(args)}` }] };
      },
    );
  }
  for (const uri of ['file:///repo/readme.md', 'file:///etc/secret']) {
    server.registerResource(uri, uri, { mimeType: 'text/plain' }, async (u) => {
      served.push(`resource:${u.href}`);
      return { contents: [{ uri: u.href, text: `contents of ${u.href}` }] };
    });
  }
  for (const name of ['greet', 'leak']) {
    server.registerPrompt(name, { description: `the ${name} prompt` }, async () => {
      served.push(`prompt:${name}`);
      return { messages: [{ role: 'user', content: { type: 'text', text: `${name}!` } }] };
    });
  }
  return server;
}

function handler(json: boolean, served: string[], toolArgs: TestMcpServer['toolArgs']) {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    const sessionId = req.headers['mcp-session-id'];
    let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (!transport) {
      if (req.method !== 'POST' || !isInitializeRequest(body)) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32000, message: 'no session' } }));
        return;
      }
      const t = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: json,
        onsessioninitialized: (id) => {
          sessions.set(id, t);
        },
      });
      t.onclose = () => {
        if (t.sessionId) sessions.delete(t.sessionId);
      };
      await buildServer(served, toolArgs).connect(t);
      transport = t;
    }
    await transport.handleRequest(req, res, body);
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

export async function startMcpServer(opts: { json: boolean }): Promise<TestMcpServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-mcp-'));
  const ca = await CertificateAuthority.loadOrCreate(dir);
  const served: string[] = [];
  const toolArgs: TestMcpServer['toolArgs'] = [];
  const handle = handler(opts.json, served, toolArgs);
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const plain = http.createServer(onRequest);
  const secure = https.createServer(
    {
      SNICallback: (name, cb) => {
        ca.secureContextFor(name || '127.0.0.1').then(
          (ctx) => cb(null, ctx),
          (err: Error) => cb(err),
        );
      },
    },
    onRequest,
  );
  const httpPort = await listen(plain);
  const httpsPort = await listen(secure);
  return {
    httpPort,
    httpsPort,
    caPem: ca.certPem,
    served,
    toolArgs,
    async close() {
      for (const s of [plain, secure]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
