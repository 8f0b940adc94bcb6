// The local API server: REST + server-sent events over a unix socket (mode 0600) and,
// optionally, a loopback TCP port for browser mode. Every request needs the bearer token;
// the TCP listener also checks Host and Origin so a web page cannot reach it through DNS
// rebinding. Handlers are typed by ApiRoutes; bodies are validated against their schemas.

import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import type { WardenEvent } from './events.ts';
import type { ErrorEnvelope } from './messages.ts';
import {
  AddRuleRequestSchema,
  AnswerApprovalRequestSchema,
  ApplyPolicyRequestSchema,
  CreateListenerRequestSchema,
  PutSecretRequestSchema,
  ValidatePolicyRequestSchema,
} from './requests.ts';
import { type ApiRoutes, EVENTS_PATH, type RouteKey } from './routes.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly hint?: string;
  readonly extra?: Partial<ErrorEnvelope['error']>;
  constructor(
    status: number,
    name: string,
    message: string,
    hint?: string,
    extra?: Partial<ErrorEnvelope['error']>,
  ) {
    super(message);
    this.status = status;
    this.name = name;
    this.hint = hint;
    this.extra = extra;
  }
}

export interface HandlerInput<K extends RouteKey> {
  params: ApiRoutes[K]['params'];
  query: URLSearchParams;
  body: ApiRoutes[K]['body'];
  /** The local user the request is attributed to. */
  user: string;
}

export type Handlers = {
  [K in RouteKey]: (input: HandlerInput<K>) => Promise<ApiRoutes[K]['response']> | ApiRoutes[K]['response'];
};

const BODY_SCHEMAS: Partial<Record<RouteKey, TSchema>> = {
  'POST /v1/listeners': CreateListenerRequestSchema,
  'POST /v1/listeners/:sandboxId/rules': AddRuleRequestSchema,
  'POST /v1/approvals/:id': AnswerApprovalRequestSchema,
  'POST /v1/policy/validate': ValidatePolicyRequestSchema,
  'PUT /v1/policy': ApplyPolicyRequestSchema,
  'PUT /v1/secrets/:name': PutSecretRequestSchema,
};

const MAX_BODY = 2 * 1024 * 1024;

interface CompiledRoute {
  key: RouteKey;
  method: string;
  pattern: RegExp;
  names: string[];
  validate?: ValidateFunction;
}

export interface ApiServerOptions {
  token: string;
  user: string;
  handlers: Handlers;
  subscribe: (listener: (event: WardenEvent) => void) => () => void;
  /** Extra GET handlers (e.g. the renderer bundle in browser mode) tried before 404. */
  fallback?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
}

export class ApiServer {
  readonly #opts: ApiServerOptions;
  readonly #routes: CompiledRoute[];
  readonly #servers: http.Server[] = [];
  readonly #streams = new Set<http.ServerResponse>();

  constructor(opts: ApiServerOptions) {
    this.#opts = opts;
    const ajv = new Ajv({ allErrors: true, strict: false });
    this.#routes = (Object.keys(opts.handlers) as RouteKey[]).map((key) => {
      const [method, template] = key.split(' ') as [string, string];
      const names: string[] = [];
      const pattern = new RegExp(
        `^${template.replace(/:([A-Za-z]+)/g, (_m, n: string) => {
          names.push(n);
          return '([^/]+)';
        })}$`,
      );
      const schema = BODY_SCHEMAS[key];
      return { key, method, pattern, names, validate: schema ? ajv.compile(schema) : undefined };
    });
  }

  /** Serve on a unix socket (the caller makes it 0600) or a loopback TCP port. */
  listen(target: { socket: string } | { port: number; host?: string }): Promise<http.Server> {
    const tcp = 'port' in target;
    const server = http.createServer((req, res) => this.#handle(req, res, tcp ? server : undefined));
    server.headersTimeout = 10_000;
    this.#servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        resolve(server);
      };
      if ('socket' in target) server.listen(target.socket, done);
      else server.listen(target.port, target.host ?? '127.0.0.1', done);
    });
  }

  async close(): Promise<void> {
    for (const res of this.#streams) res.end();
    await Promise.all(
      this.#servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }

  #checkOrigin(req: http.IncomingMessage, server: http.Server): string | null {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
    if (!allowed.has(String(req.headers.host ?? '').toLowerCase()))
      return 'the Host header is not a loopback address';
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.has(origin.replace(/^http:\/\//, '').toLowerCase())) {
      return 'the Origin is not this server';
    }
    return null;
  }

  #authorized(req: http.IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header);
    if (!m) return false;
    const given = Buffer.from(m[1]!);
    const expected = Buffer.from(this.#opts.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse, tcp?: http.Server): Promise<void> {
    try {
      if (tcp) {
        const problem = this.#checkOrigin(req, tcp);
        if (problem) throw new ApiError(403, 'Forbidden', problem);
      }
      const url = new URL(req.url ?? '/', 'http://warden.local');
      if (tcp && this.#opts.fallback?.(req, res)) return;
      if (!this.#authorized(req)) {
        throw new ApiError(
          401,
          'Unauthorized',
          'missing or wrong bearer token',
          'the token is in $WARDEN_HOME/token',
        );
      }
      if (req.method === 'GET' && url.pathname === EVENTS_PATH) return this.#stream(req, res, url);
      const route = this.#match(req.method ?? 'GET', url.pathname);
      if (!route) throw new ApiError(404, 'NotFound', `no route ${req.method} ${url.pathname}`);
      const body = route.r.validate ? await this.#readBody(req, route.r) : undefined;
      const handler = this.#opts.handlers[route.r.key] as (input: HandlerInput<RouteKey>) => unknown;
      const result = await handler({
        params: route.params as never,
        query: url.searchParams,
        body: body as never,
        user: this.#opts.user,
      });
      const text = JSON.stringify(result ?? null);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(text);
    } catch (error) {
      this.#sendError(res, error);
    }
  }

  #match(method: string, pathname: string): { r: CompiledRoute; params: Record<string, string> } | undefined {
    for (const r of this.#routes) {
      if (r.method !== method) continue;
      const m = r.pattern.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1]!);
      });
      return { r, params };
    }
    return undefined;
  }

  async #readBody(req: http.IncomingMessage, route: CompiledRoute): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new ApiError(413, 'BodyTooLarge', `request body over ${MAX_BODY} bytes`);
      chunks.push(chunk as Buffer);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    } catch {
      throw new ApiError(400, 'BadRequest', 'the request body is not JSON');
    }
    if (!route.validate!(body)) {
      const details = (route.validate!.errors ?? [])
        .map(
          (e) =>
            `${e.instancePath || '(body)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` "${e.params.additionalProperty}"` : ''}`,
        )
        .join('; ');
      throw new ApiError(400, 'BadRequest', `invalid body for ${route.key}: ${details}`);
    }
    return body;
  }

  #stream(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const types = url.searchParams.get('types')?.split(',').filter(Boolean);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.#streams.add(res);
    const dispose = this.#opts.subscribe((event) => {
      if (types && !types.includes(event.type)) return;
      // A consumer that stops reading is dropped rather than buffering without bound.
      if (res.writableLength > 8 * 1024 * 1024) return res.destroy();
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    const end = () => {
      clearInterval(ping);
      dispose();
      this.#streams.delete(res);
    };
    req.on('close', end);
    res.on('error', end);
  }

  #sendError(res: http.ServerResponse, error: unknown): void {
    const e =
      error instanceof ApiError
        ? error
        : new ApiError(500, 'InternalError', error instanceof Error ? error.message : String(error));
    const envelope: ErrorEnvelope = { error: { name: e.name, message: e.message, ...e.extra } };
    if (e.hint) envelope.error.hint = e.hint;
    if (res.headersSent) return void res.destroy();
    res.writeHead(e.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(envelope));
  }
}
