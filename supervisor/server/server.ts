// The local API server: REST + server-sent events over a unix socket (mode 0600) and,
// optionally, a loopback TCP port for browser mode. Every request needs the bearer token;
// the TCP listener also checks Host and Origin so a web page cannot reach it through DNS
// rebinding. Handlers are typed by ApiRoutes; bodies are validated against their schemas.

export { queryToObject } from '../api/route-schemas.ts';
export type { Handlers, UpgradeHandlers, WebSocketHandlers } from './handler-types.ts';

import http from 'node:http';
import type net from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import { WebSocketServer } from 'ws';
import { asWardenError, WardenError } from '../api/errors.ts';
import type { WardenEvent } from '../api/events.ts';
import {
  bodySchema,
  queryToObject,
  UPGRADE_QUERY_SCHEMAS,
  WEBSOCKET_QUERY_SCHEMAS,
} from '../api/route-schemas.ts';
import { EVENTS_PATH, type RouteKey, type UpgradeRouteKey, type WebSocketRouteKey } from '../api/routes.ts';
import { encodeSse } from '../api/sse.ts';
import type { TaskEvent } from '../api/tasks.ts';
import { readTerminalProtocols, TERMINAL_PROTOCOL } from '../api/terminal.ts';
import { ERROR_STATUS } from './error-status.ts';
import type {
  HandlerInput,
  Handlers,
  UpgradeHandlers,
  UpgradeInput,
  WebSocketHandlers,
  WebSocketInput,
} from './handler-types.ts';
import { compilePattern, describeErrors, matchRoute } from './route-match.ts';
import { authorized, authorizedWebSocket, originProblem } from './server-access.ts';

const MAX_BODY = 2 * 1024 * 1024;
/** The largest WebSocket message the API takes (terminal input is far smaller). */
const MAX_WS_MESSAGE = 1024 * 1024;

interface CompiledRoute {
  key: RouteKey;
  method: string;
  pattern: RegExp;
  names: string[];
  validate?: ValidateFunction;
}

interface CompiledWebSocket {
  key: WebSocketRouteKey;
  method: string;
  pattern: RegExp;
  names: string[];
  validate: ValidateFunction;
}

interface CompiledUpgrade {
  key: UpgradeRouteKey;
  method: string;
  pattern: RegExp;
  names: string[];
  validate: ValidateFunction;
}

export interface ApiServerOptions {
  token: string;
  user: string;
  handlers: Handlers;
  subscribe: (listener: (event: WardenEvent) => void) => () => void;
  /** The long work's updates, streamed to clients that ask with `?tasks=1`. */
  subscribeTasks?: (listener: (event: TaskEvent) => void) => () => void;
  /** Handlers of the upgrade routes (exec/attach); without them upgrades get 404. */
  upgrades?: Partial<UpgradeHandlers>;
  /** Handlers of the WebSocket routes (the terminal); without them those get 404. */
  websockets?: Partial<WebSocketHandlers>;
  /** Extra GET handlers (e.g. the renderer bundle in browser mode) tried before 404. */
  fallback?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /**
   * Awaited after a handler of a call that may change state (any method but GET) and before
   * its answer: the daemon's audit commit of the events the call emitted.
   */
  settled?: () => Promise<void>;
}

export class ApiServer {
  readonly #opts: ApiServerOptions;
  readonly #routes: CompiledRoute[];
  readonly #upgrades: CompiledUpgrade[];
  readonly #upgraded = new Set<net.Socket>();
  readonly #websockets: CompiledWebSocket[];
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_MESSAGE,
    // Answer with the terminal's subprotocol, never with the token the client offered beside it.
    handleProtocols: (offered) => (offered.has(TERMINAL_PROTOCOL) ? TERMINAL_PROTOCOL : false),
  });
  readonly #servers: http.Server[] = [];
  readonly #streams = new Set<http.ServerResponse>();

  constructor(opts: ApiServerOptions) {
    this.#opts = opts;
    const ajv = new Ajv({ allErrors: true, strict: false });
    this.#routes = (Object.keys(opts.handlers) as RouteKey[]).map((key) => {
      const [method, template] = key.split(' ') as [string, string];
      const schema = bodySchema(key);
      return { key, method, ...compilePattern(template), validate: schema ? ajv.compile(schema) : undefined };
    });
    this.#upgrades = (Object.keys(opts.upgrades ?? {}) as UpgradeRouteKey[]).map((key) => {
      const [method, template] = key.split(' ') as [string, string];
      return { key, method, ...compilePattern(template), validate: ajv.compile(UPGRADE_QUERY_SCHEMAS[key]) };
    });
    this.#websockets = (Object.keys(opts.websockets ?? {}) as WebSocketRouteKey[]).map((key) => {
      const [method, template] = key.split(' ') as [string, string];
      return {
        key,
        method,
        ...compilePattern(template),
        validate: ajv.compile(WEBSOCKET_QUERY_SCHEMAS[key]),
      };
    });
  }

  /** Serve on a unix socket (the caller makes it 0600) or a loopback TCP port. */
  listen(target: { socket: string } | { port: number; host?: string }): Promise<http.Server> {
    const tcp = 'port' in target;
    const server = http.createServer((req, res) => this.#handle(req, res, tcp ? server : undefined));
    server.headersTimeout = 10_000;
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      void this.#upgrade(req, socket, head, tcp ? server : undefined);
    });
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
    for (const socket of this.#upgraded) socket.destroy();
    for (const ws of this.#wss.clients) ws.terminate();
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

  async #handle(req: http.IncomingMessage, res: http.ServerResponse, tcp?: http.Server): Promise<void> {
    try {
      if (tcp) {
        const problem = originProblem(req, tcp);
        if (problem) throw new WardenError('Forbidden', problem);
      }
      const url = new URL(req.url ?? '/', 'http://warden.local');
      if (tcp && this.#opts.fallback?.(req, res)) return;
      if (!authorized(req, this.#opts.token)) {
        throw new WardenError(
          'Unauthorized',
          'missing or wrong bearer token',
          'the token is in $WARDEN_HOME/token',
        );
      }
      if (req.method === 'GET' && url.pathname === EVENTS_PATH) return this.#stream(req, res, url);
      const route = this.#match(req.method ?? 'GET', url.pathname);
      if (!route) throw new WardenError('NotFound', `no route ${req.method} ${url.pathname}`);
      const body = route.r.validate ? await this.#readBody(req, route.r) : undefined;
      const handler = this.#opts.handlers[route.r.key] as (input: HandlerInput<RouteKey>) => unknown;
      const gone = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      const result = await handler({
        params: route.params as never,
        query: url.searchParams,
        body: body as never,
        user: this.#opts.user,
        signal: gone.signal,
      });
      if (req.method !== 'GET' && this.#opts.settled) await this.#opts.settled();
      const text = JSON.stringify(result ?? null);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(text);
    } catch (error) {
      this.#sendError(res, error);
    }
  }

  /** An upgrade request: the same checks as any request (Host/Origin on TCP, token), then the route. */
  async #upgrade(
    req: http.IncomingMessage,
    socket: net.Socket,
    head: Buffer,
    tcp?: http.Server,
  ): Promise<void> {
    let accepted = false;
    socket.on('error', () => socket.destroy());
    const websocket = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    try {
      if (tcp) {
        const problem = originProblem(req, tcp);
        if (problem) throw new WardenError('Forbidden', problem);
      }
      if (!(websocket ? authorizedWebSocket(req, this.#opts.token) : authorized(req, this.#opts.token))) {
        throw new WardenError(
          'Unauthorized',
          websocket
            ? 'missing or wrong token (a WebSocket carries it in Authorization or as the subprotocol warden-token.TOKEN)'
            : 'missing or wrong bearer token',
          'the token is in $WARDEN_HOME/token',
        );
      }
      const url = new URL(req.url ?? '/', 'http://warden.local');
      if (websocket) {
        accepted = this.#websocket(req, socket, head, url);
        return;
      }
      const found = this.#matchUpgrade(req.method ?? 'GET', url.pathname);
      if (!found) throw new WardenError('NotFound', `no upgrade route ${req.method} ${url.pathname}`);
      const { r, params } = found;
      const query = queryToObject(url.searchParams, UPGRADE_QUERY_SCHEMAS[r.key]);
      if (!r.validate(query)) {
        throw new WardenError('BadRequest', `invalid query for ${r.key}: ${describeErrors(r.validate)}`);
      }
      const handler = this.#opts.upgrades?.[r.key] as (input: UpgradeInput<UpgradeRouteKey>) => unknown;
      await handler({
        params: params as never,
        query: query as never,
        user: this.#opts.user,
        accept: () => {
          if (accepted) throw new Error('upgrade already accepted');
          accepted = true;
          const protocol = String(req.headers.upgrade ?? 'warden');
          socket.write(
            `HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${protocol.replace(/[^A-Za-z0-9._-]/g, '')}\r\n\r\n`,
          );
          this.#upgraded.add(socket);
          socket.once('close', () => this.#upgraded.delete(socket));
          return { socket, head };
        },
      });
    } catch (error) {
      if (accepted) {
        socket.destroy();
        return;
      }
      const e = asWardenError(error);
      const status = ERROR_STATUS[e.name];
      const body = JSON.stringify(e.toEnvelope());
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
  }

  /** A WebSocket route: match, validate the query, check the subprotocol, then hand it over. */
  #websocket(req: http.IncomingMessage, socket: net.Socket, head: Buffer, url: URL): true {
    const found = matchRoute(this.#websockets, req.method ?? 'GET', url.pathname);
    if (!found) throw new WardenError('NotFound', `no WebSocket route ${req.method} ${url.pathname}`);
    const { r, params } = found;
    const query = queryToObject(url.searchParams, WEBSOCKET_QUERY_SCHEMAS[r.key]);
    if (!r.validate(query)) {
      throw new WardenError('BadRequest', `invalid query for ${r.key}: ${describeErrors(r.validate)}`);
    }
    if (!readTerminalProtocols(req.headers['sec-websocket-protocol']).terminal) {
      throw new WardenError(
        'BadRequest',
        `a WebSocket of the API must offer the subprotocol ${TERMINAL_PROTOCOL}`,
      );
    }
    const handler = this.#opts.websockets?.[r.key] as (input: WebSocketInput<WebSocketRouteKey>) => void;
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      try {
        handler({ params: params as never, query: query as never, user: this.#opts.user, ws });
      } catch {
        ws.close(1011, 'internal error');
      }
    });
    return true;
  }

  #matchUpgrade(method: string, pathname: string) {
    return matchRoute(this.#upgrades, method, pathname);
  }

  #match(method: string, pathname: string) {
    return matchRoute(this.#routes, method, pathname);
  }

  async #readBody(req: http.IncomingMessage, route: CompiledRoute): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) throw new WardenError('BodyTooLarge', `request body over ${MAX_BODY} bytes`);
      chunks.push(chunk as Buffer);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    } catch {
      throw new WardenError('BadRequest', 'the request body is not JSON');
    }
    if (!route.validate!(body)) {
      const details = describeErrors(route.validate!);
      throw new WardenError('BadRequest', `invalid body for ${route.key}: ${details}`);
    }
    return body;
  }

  #stream(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const types = url.searchParams.get('types')?.split(',').filter(Boolean);
    const tasks = url.searchParams.get('tasks') === '1' || types?.includes('task.updated') === true;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.#streams.add(res);
    const send = (event: WardenEvent | TaskEvent) => {
      if (types && !types.includes(event.type)) return;
      // A consumer that stops reading is dropped rather than buffering without bound.
      if (res.writableLength > 8 * 1024 * 1024) return res.destroy();
      res.write(encodeSse(event.type, JSON.stringify(event)));
    };
    const disposers = [this.#opts.subscribe(send)];
    if (tasks && this.#opts.subscribeTasks) disposers.push(this.#opts.subscribeTasks(send));
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    const end = () => {
      clearInterval(ping);
      for (const dispose of disposers) dispose();
      this.#streams.delete(res);
    };
    req.on('close', end);
    res.on('error', end);
  }

  #sendError(res: http.ServerResponse, error: unknown): void {
    const e = asWardenError(error);
    if (res.headersSent) return void res.destroy();
    res.writeHead(ERROR_STATUS[e.name], { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(e.toEnvelope()));
  }
}
